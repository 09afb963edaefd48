/**
 * The encodedCharacters middleware behind an entry point that allows encoded slashes: the entry
 * point's check lets `%2F` through for every router, the middleware refuses it on its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('encodedCharacters per router', () => {
  let backend: Backend;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('app');
    proxy = await startProxy(
      {
        http: {
          routers: {
            guarded: { rule: 'PathPrefix(`/guarded`)', service: 'app', middlewares: ['strict'] },
            open: { rule: 'PathPrefix(`/open`)', service: 'app' },
          },
          middlewares: { strict: { encodedCharacters: { allowEncodedSemicolon: true } } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [
        '--entryPoints.web.http.encodedCharacters.allowEncodedSlash=true',
        '--entryPoints.web.http.encodedCharacters.allowEncodedSemicolon=true',
      ],
    );
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('refuses on its router what the entry point allows, and only there', async () => {
    const refused = await send(`${proxy.url}/guarded/a%2fb`);
    assert.equal(refused.status, 400);
    assert.equal(refused.text, '');
    const passed = await send(`${proxy.url}/open/a%2fb`);
    assert.equal(passed.status, 200);
    assert.equal((JSON.parse(passed.text) as { url: string }).url, '/open/a%2Fb');
    assert.equal((await send(`${proxy.url}/guarded/a%3Bb`)).status, 200);
    // The entry point refuses first what it does not allow, whatever the router.
    assert.equal((await send(`${proxy.url}/open/a%5Cb`)).status, 400);
  });
});
