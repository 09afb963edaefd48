import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('resilience middlewares', () => {
  let slow: Backend;
  let failing: Backend;
  let ok: Backend;
  let posts: Backend;
  let proxy: TestProxy;
  const failure = { on: true };
  const postBodies: string[] = [];

  before(async () => {
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('slow'), 300);
    });
    failing = await startBackend('failing', (_req, res) => {
      res.writeHead(failure.on ? 500 : 200).end();
    });
    ok = await startBackend('ok');
    posts = await startBackend('posts', (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        postBodies.push(body);
        res.end(`got ${body}`);
      });
    });
    proxy = await startProxy({
      http: {
        routers: {
          inflight: { rule: 'Path(`/inflight`)', service: 'slow', middlewares: ['inflight'] },
          byHeader: { rule: 'Path(`/inflight-header`)', service: 'slow', middlewares: ['inflightHeader'] },
          rate: { rule: 'Path(`/rate`)', service: 'ok', middlewares: ['rate'] },
          breaker: { rule: 'Path(`/breaker`)', service: 'failing', middlewares: ['breaker'] },
          retryPost: { rule: 'Path(`/post`)', service: 'posts', middlewares: ['retry'] },
        },
        middlewares: {
          inflight: { inFlightReq: { amount: 2 } },
          inflightHeader: { inFlightReq: { amount: 1, sourceCriterion: { requestHeaderName: 'X-User' } } },
          rate: { rateLimit: { average: 5, period: '1s', burst: 3 } },
          breaker: {
            circuitBreaker: {
              expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.25',
              checkPeriod: '50ms',
              fallbackDuration: '300ms',
              recoveryDuration: '100ms',
              responseCode: 418,
            },
          },
          retry: { retry: { attempts: 3, initialInterval: '5ms' } },
        },
        services: {
          slow: { loadBalancer: { servers: [{ url: slow.url }] } },
          failing: { loadBalancer: { servers: [{ url: failing.url }] } },
          ok: { loadBalancer: { servers: [{ url: ok.url }] } },
          // A dead first server: every first attempt fails, the retry must replay the body.
          posts: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }, { url: posts.url }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([slow.close(), failing.close(), ok.close(), posts.close()]);
  });

  it('inFlightReq answers 429 to the third simultaneous request of one client, and lets it through later', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 3 }, () => send(`${proxy.url}/inflight`).then((r) => r.status)),
    );
    assert.deepEqual(statuses.sort(), [200, 200, 429]);
    assert.equal((await send(`${proxy.url}/inflight`)).status, 200);
  });

  it('inFlightReq counts each value of the configured header on its own', async () => {
    const statuses = await Promise.all(
      ['u1', 'u1', 'u2'].map((user) =>
        send(`${proxy.url}/inflight-header`, { headers: { 'x-user': user } }).then((r) => `${user}:${r.status}`),
      ),
    );
    assert.deepEqual(statuses.sort(), ['u1:200', 'u1:429', 'u2:200']);
  });

  it('rateLimit lets a burst of 3 through, then answers 429 with Retry-After, then refills', async () => {
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 5; i++) {
      const response = await send(`${proxy.url}/rate`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers['retry-after'];
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(statuses.slice(3).includes(429), JSON.stringify(statuses));
    assert.equal(retryAfter, '1');
    await waitFor(async () => (await send(`${proxy.url}/rate`)).status === 200, { timeout: 1000, what: 'a token' });
  });

  it('circuitBreaker trips on too many 5xx, answers its responseCode, and closes once the server recovers', async () => {
    failure.on = true;
    const hitsBefore = failing.hits;
    await waitFor(async () => (await send(`${proxy.url}/breaker`)).status === 418, {
      timeout: 2000,
      what: 'the breaker to trip',
    });
    const hitsWhenTripped = failing.hits;
    assert.ok(hitsWhenTripped > hitsBefore);
    // Tripped: answered at once, the server hears nothing.
    for (let i = 0; i < 5; i++) assert.equal((await send(`${proxy.url}/breaker`)).status, 418);
    assert.equal(failing.hits, hitsWhenTripped);
    failure.on = false;
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          Array.from({ length: 5 }, () => send(`${proxy.url}/breaker`).then((r) => r.status)),
        );
        return statuses.every((s) => s === 200);
      },
      { timeout: 3000, what: 'the breaker to close' },
    );
  });

  it('retry replays a small POST body on another server when the first refused the connection', async () => {
    for (let i = 0; i < 4; i++) {
      const response = await send(`${proxy.url}/post`, { method: 'POST', body: `payload-${i}` });
      assert.equal(response.status, 200);
      assert.equal(response.text, `got payload-${i}`);
    }
    assert.deepEqual(postBodies, ['payload-0', 'payload-1', 'payload-2', 'payload-3']);
  });
});

describe('mirroring', () => {
  let main: Backend;
  let mirror: Backend;
  let proxy: TestProxy;
  const mirrored: Array<{ method?: string; body: string }> = [];

  before(async () => {
    main = await startBackend('main');
    mirror = await startBackend('mirror', (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        mirrored.push({ method: req.method, body });
        res.writeHead(500).end('ignored');
      });
    });
    proxy = await startProxy({
      http: {
        routers: {
          half: { rule: 'Path(`/half`)', service: 'half' },
          body: { rule: 'Path(`/body`)', service: 'body' },
          nobody: { rule: 'Path(`/nobody`)', service: 'nobody' },
        },
        services: {
          main: { loadBalancer: { servers: [{ url: main.url }] } },
          copy: { loadBalancer: { servers: [{ url: mirror.url }] } },
          half: { mirroring: { service: 'main', mirrors: [{ name: 'copy', percent: 50 }] } },
          body: { mirroring: { service: 'main', maxBodySize: 8, mirrors: [{ name: 'copy', percent: 100 }] } },
          nobody: { mirroring: { service: 'main', mirrorBody: false, mirrors: [{ name: 'copy', percent: 100 }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([main.close(), mirror.close()]);
  });

  it('copies exactly half of 10 requests to a 50% mirror and discards its answers', async () => {
    mirrored.length = 0;
    for (let i = 0; i < 10; i++) {
      const response = await send(`${proxy.url}/half`);
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-backend'], 'main');
    }
    await waitFor(() => mirrored.length === 5, { what: '5 mirrored requests' });
  });

  it('copies bodies within maxBodySize, and sends larger ones to the main service only', async () => {
    mirrored.length = 0;
    const small = await send(`${proxy.url}/body`, { method: 'POST', body: 'tiny' });
    assert.equal(JSON.parse(small.text).body, 'tiny');
    const large = await send(`${proxy.url}/body`, { method: 'POST', body: 'much too large' });
    assert.equal(JSON.parse(large.text).body, 'much too large');
    await waitFor(() => mirrored.length === 1, { what: 'the small body mirrored' });
    assert.deepEqual(mirrored, [{ method: 'POST', body: 'tiny' }]);
  });

  it('sends mirrors no body when mirrorBody is false', async () => {
    mirrored.length = 0;
    const response = await send(`${proxy.url}/nobody`, { method: 'POST', body: 'secret' });
    assert.equal(JSON.parse(response.text).body, 'secret');
    await waitFor(() => mirrored.length === 1, { what: 'the bodiless copy' });
    assert.deepEqual(mirrored, [{ method: 'POST', body: '' }]);
  });
});
