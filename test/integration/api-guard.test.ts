/**
 * Plain `switchyard` with `api.insecure=true` (Traefik semantics): the API answers any Host, as
 * Traefik users reach it by their own names, but a change through it (any method other than
 * GET, HEAD, OPTIONS; `up` adds such routes) must come from the API's own origin as JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { send, sendJson } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('the API of plain switchyard with api.insecure', () => {
  let proxy: TestProxy;
  let api: string;
  let port: number;
  /** How many times the state-changing test route ran. */
  let changes = 0;

  before(async () => {
    proxy = await startProxy({}, ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true']);
    port = proxy.app.entryPoints.get('traefik')?.port ?? 0;
    api = `http://127.0.0.1:${port}`;
    // Stands for any state-changing route (plain `run` has none of its own; `up` adds /api/stack/…).
    proxy.api.route('POST', '/api/test/change', () => ({ changes: ++changes }));
  });

  after(async () => {
    await proxy?.stop();
  });

  test('answers GETs whatever the Host, as Traefik does', async () => {
    for (const host of ['evil.test', 'admin.example.com:8080', `localhost:${port}`]) {
      assert.equal((await send(`${api}/api/version`, { headers: { host } })).status, 200, host);
    }
    assert.equal((await send(`${api}/dashboard/`, { headers: { host: 'admin.example.com' } })).status, 200);
  });

  test('refuses a cross-site change (another Origin, or Sec-Fetch-Site: cross-site) with 403 without running it', async () => {
    const foreign = await sendJson(`${api}/api/test/change`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://evil.test' },
      body: '{}',
    });
    assert.equal(foreign.status, 403);
    assert.match(String(foreign.json.message), /cross-origin request refused/);
    const crossSite = await sendJson(`${api}/api/test/change`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: '{}',
    });
    assert.equal(crossSite.status, 403);
    assert.equal(changes, 0);
  });

  test('refuses a change whose body is not declared JSON with 415, on unknown paths too', async () => {
    const plain = await sendJson(`${api}/api/test/change`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 415);
    assert.match(String(plain.json.message), /Content-Type: application\/json/);
    assert.equal((await send(`${api}/api/nothing-here`, { method: 'DELETE' })).status, 415);
    assert.equal(changes, 0);
  });

  test('runs a same-origin JSON change under any Host name, and one from a script without Origin', async () => {
    const sameOrigin = await sendJson(`${api}/api/test/change`, {
      method: 'POST',
      headers: {
        host: 'admin.example.com',
        origin: 'http://admin.example.com',
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    assert.equal(sameOrigin.status, 200);
    const script = await sendJson(`${api}/api/test/change`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(script.status, 200);
    assert.equal(changes, 2);
  });
});
