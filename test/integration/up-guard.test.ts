/**
 * `switchyard up` keeps other sites and other machines away from its API: a web page cannot
 * scale or stop the user's processes (cross-site requests, DNS rebinding), and the entry points
 * listen on 127.0.0.1 unless `--host` opens them. Real `up`, real sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { send, sendJson } from '../helpers/http.js';
import { listeningAddresses } from '../helpers/ports.js';
import { type RunningUp, startUp } from '../helpers/up.js';

const SCALE = '/services/dynamic-server/scale';

/** The replica count `up` is asked to keep for dynamic-server, and how many it lists. */
async function dynamicServer(up: RunningUp): Promise<{ scale: number; replicas: number }> {
  const service = (await up.stack()).services.find((s) => s.name === 'dynamic-server');
  assert.ok(service, 'dynamic-server is in the stack');
  return { scale: service.scale, replicas: service.replicas.length };
}

describe('switchyard up refuses requests from other sites', () => {
  let up: RunningUp;
  /** `http://127.0.0.1:PORT`: the API's own origin, as the dashboard page has it. */
  let origin: string;
  let port: number;

  before(async () => {
    up = await startUp();
    origin = new URL(up.stackApi).origin;
    port = Number(new URL(up.stackApi).port);
  });

  after(async () => {
    await up?.stop();
  });

  test('a cross-site text/plain POST from another Origin is refused with 403 and the service is not scaled', async () => {
    const { status, json } = await sendJson(`${up.stackApi}${SCALE}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://evil.test' },
      body: '{"replicas":5}',
    });
    assert.equal(status, 403);
    assert.match(String(json.message), /Origin "http:\/\/evil\.test" is not this API's origin/);
    assert.deepEqual(await dynamicServer(up), { scale: 2, replicas: 2 });
  });

  test('a POST marked Sec-Fetch-Site: cross-site is refused with 403 even with a JSON body, and nothing scales', async () => {
    const { status, json } = await sendJson(`${up.stackApi}${SCALE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: '{"replicas":5}',
    });
    assert.equal(status, 403);
    assert.match(String(json.message), /cross-site request refused/);
    assert.deepEqual(await dynamicServer(up), { scale: 2, replicas: 2 });
  });

  test('a POST without Content-Type application/json is refused with 415 and nothing scales', async () => {
    const { status, json } = await sendJson(`${up.stackApi}${SCALE}`, { method: 'POST', body: '{"replicas":5}' });
    assert.equal(status, 415);
    assert.match(String(json.message), /Content-Type: application\/json/);
    assert.deepEqual(await dynamicServer(up), { scale: 2, replicas: 2 });
  });

  test('a same-origin application/json POST, as the dashboard sends it, is accepted and scales', async () => {
    const post = (replicas: number) =>
      send(`${up.stackApi}${SCALE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ replicas }),
      });
    assert.equal((await post(3)).status, 202);
    assert.equal((await dynamicServer(up)).scale, 3);
    assert.equal((await post(2)).status, 202);
    assert.equal((await dynamicServer(up)).scale, 2);
  });

  test('the API and dashboard answer Host: localhost:PORT but refuse Host: evil.test (DNS rebinding) with 403', async () => {
    const local = await send(`${origin}/api/version`, { headers: { host: `localhost:${port}` } });
    assert.equal(local.status, 200);
    const rebound = await sendJson(`${origin}/api/version`, { headers: { host: `evil.test:${port}` } });
    assert.equal(rebound.status, 403);
    assert.match(String(rebound.json.message), /host "evil\.test" is not allowed .*DNS rebinding.*--api-allowed-hosts/);
    assert.equal((await send(`${origin}/api/stack`, { headers: { host: 'evil.test' } })).status, 403);
    assert.equal((await send(`${origin}/dashboard/`, { headers: { host: 'evil.test' } })).status, 403);
    assert.equal((await send(`${origin}/dashboard/`, { headers: { host: `app.localhost:${port}` } })).status, 200);
    // The web entry point is the user's apps, not the API: any Host still reaches them.
    assert.equal((await send(up.web, { headers: { host: 'evil.test' } })).status, 200);
  });

  test('listens on 127.0.0.1 only by default, and prints that address', {
    skip: listeningAddresses(0) === null,
  }, () => {
    assert.match(up.web, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.deepEqual(listeningAddresses(Number(new URL(up.web).port)), ['127.0.0.1']);
    assert.deepEqual(listeningAddresses(port), ['127.0.0.1']);
  });
});

describe('switchyard up --host 0.0.0.0 --api-allowed-hosts devbox.test', () => {
  let up: RunningUp;

  before(async () => {
    up = await startUp(['--host', '0.0.0.0', '--api-allowed-hosts', 'devbox.test']);
  });

  after(async () => {
    await up?.stop();
  });

  test('listens on every interface and warns that the API is open to the network', {
    skip: listeningAddresses(0) === null,
  }, () => {
    assert.deepEqual(listeningAddresses(Number(new URL(up.web).port)), ['0.0.0.0']);
    assert.deepEqual(listeningAddresses(Number(new URL(up.stackApi).port)), ['0.0.0.0']);
    assert.match(up.output.stdout + up.output.stderr, /listening on every interface/);
  });

  test('answers the extra host name as well as the local ones, and still refuses others', async () => {
    const api = `http://127.0.0.1:${new URL(up.stackApi).port}/api/version`;
    assert.equal((await send(api, { headers: { host: 'devbox.test' } })).status, 200);
    assert.equal((await send(api, { headers: { host: 'localhost' } })).status, 200);
    assert.equal((await send(api, { headers: { host: 'evil.test' } })).status, 403);
  });
});
