/**
 * The internal API is an object the assembler hands out: routes added to it are served on
 * `api@internal`; without an `api` section it is disabled, adding a route is a harmless no-op,
 * and a router naming `api@internal` is reported as Traefik reports it (no such service).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { send, sendJson } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('the internal API object', () => {
  const proxies: TestProxy[] = [];
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  test('serves a route added with api.route on the API entry point', async () => {
    const proxy = await startProxy({}, ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true']);
    proxies.push(proxy);
    proxy.api.route('GET', '/api/test/hello', ({ query }) => ({ hello: query.get('name') }));
    const port = proxy.app.entryPoints.get('traefik')?.port;
    const { status, json } = await sendJson(`http://127.0.0.1:${port}/api/test/hello?name=yard`);
    assert.equal(status, 200);
    assert.deepEqual(json, { hello: 'yard' });
  });

  test('without an api section it is disabled: route() neither throws nor serves, api@internal does not exist', async () => {
    const dynamic = {
      http: { routers: { sneaky: { rule: 'PathPrefix(`/api`)', service: 'api@internal' } } },
    };
    const proxy = await startProxy(dynamic);
    proxies.push(proxy);
    assert.equal(proxy.api.enabled, false);
    assert.doesNotThrow(() => proxy.api.route('GET', '/api/test/hello', () => ({ hello: true })));
    const router = proxy.app.runtime.routers.get('sneaky@file');
    assert.equal(router?.status, 'disabled');
    assert.match(router?.errors.join(' ') ?? '', /api@internal/);
    const { status } = await send(`${proxy.url}/api/test/hello`);
    assert.equal(status, 404);
  });
});
