import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** A backend whose /health answers `health.status`, counting probes; other paths name it. */
async function checkedBackend(name: string) {
  const health = { status: 200, probes: 0 };
  const backend = await startBackend(name, (req, res) => {
    if (req.url === '/health') {
      health.probes++;
      res.writeHead(health.status).end();
      return;
    }
    res.writeHead(200, { 'x-backend': name }).end(name);
  });
  return { backend, health };
}

async function served(url: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const response = await send(url);
    const key = response.status === 200 ? String(response.headers['x-backend']) : String(response.status);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

describe('active health checks', () => {
  let a: Awaited<ReturnType<typeof checkedBackend>>;
  let b: Awaited<ReturnType<typeof checkedBackend>>;
  let proxy: TestProxy;
  const config = (servers: Backend[], extra: object = {}) => ({
    http: {
      routers: {
        r: { rule: 'PathPrefix(`/`)', service: 's' },
        f: { rule: 'PathPrefix(`/failover`)', service: 'f' },
      },
      services: {
        s: {
          loadBalancer: {
            servers: servers.map((s) => ({ url: s.url })),
            healthCheck: { path: '/health', interval: '100ms', timeout: '500ms', ...extra },
          },
        },
        main: {
          loadBalancer: { servers: [{ url: a.backend.url }], healthCheck: { path: '/health', interval: '100ms' } },
        },
        spare: { loadBalancer: { servers: [{ url: b.backend.url }] } },
        f: { failover: { service: 'main', fallback: 'spare' } },
      },
    },
  });

  before(async () => {
    a = await checkedBackend('a');
    b = await checkedBackend('b');
    proxy = await startProxy(config([a.backend, b.backend]));
    await waitFor(async () => (await served(proxy.url, 4)).size === 2, { what: 'both servers to be healthy' });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([a.backend.close(), b.backend.close()]);
  });

  it('stops sending traffic to a server whose /health answers 500 within one interval, and shows it DOWN', async () => {
    a.health.status = 500;
    const state = proxy.app.upstreams.peek(a.backend.url)!;
    await waitFor(() => state.activeHealth === 'DOWN', { timeout: 300, interval: 10, what: 'a to be DOWN' });
    assert.deepEqual([...(await served(proxy.url, 10))], [['b', 10]]);
  });

  it('sends traffic to it again once /health recovers', async () => {
    a.health.status = 200;
    await waitFor(() => proxy.app.upstreams.peek(a.backend.url)?.activeHealth === 'UP', {
      timeout: 300,
      interval: 10,
      what: 'a to be UP',
    });
    assert.equal((await served(proxy.url, 10)).get('a'), 5);
  });

  it('fails over to the fallback service while the main one is unhealthy', async () => {
    assert.equal((await send(`${proxy.url}/failover`)).headers['x-backend'], 'a');
    a.health.status = 503;
    await waitFor(async () => (await send(`${proxy.url}/failover`)).headers['x-backend'] === 'b', {
      timeout: 1000,
      what: 'the failover to use the fallback',
    });
    a.health.status = 200;
    await waitFor(async () => (await send(`${proxy.url}/failover`)).headers['x-backend'] === 'a', {
      timeout: 1000,
      what: 'the failover to come back to main',
    });
  });

  it('answers 503 "no available server" at once when every server is down', async () => {
    a.health.status = 500;
    b.health.status = 500;
    await waitFor(
      () =>
        proxy.app.upstreams.peek(b.backend.url)?.activeHealth === 'DOWN' &&
        proxy.app.upstreams.peek(a.backend.url)?.activeHealth === 'DOWN',
      {
        timeout: 1000,
        what: 'both DOWN',
      },
    );
    const started = Date.now();
    const response = await send(proxy.url);
    assert.equal(response.status, 503);
    assert.equal(response.text, 'no available server\n');
    assert.ok(Date.now() - started < 200);
    a.health.status = 200;
    b.health.status = 200;
    await waitFor(async () => (await served(proxy.url, 4)).size === 2, { what: 'both servers back' });
  });

  it('keeps probing on its schedule across reloads instead of restarting checks', async () => {
    const before = a.health.probes;
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      // Each reload changes something unrelated to the checks.
      const next = config([a.backend, b.backend]) as { http: { routers: Record<string, object> } };
      next.http.routers[`extra${i}`] = { rule: `Path(\`/x${i}\`)`, service: 's' };
      await proxy.update(next);
    }
    const elapsed = Date.now() - started;
    const probes = a.health.probes - before;
    // A restart per reload would probe at once each time: at least 5 extra probes.
    assert.ok(probes <= Math.ceil(elapsed / 100) + 1, `${probes} probes in ${elapsed} ms`);
  });

  it('sends a new server traffic only after its first passing check', async () => {
    const c = await checkedBackend('c');
    c.health.status = 500;
    await proxy.update(config([a.backend, b.backend, c.backend]));
    assert.equal((await served(proxy.url, 12)).get('c'), undefined);
    assert.equal(proxy.app.upstreams.peek(c.backend.url)?.activeHealth, 'DOWN');
    c.health.status = 200;
    await waitFor(async () => (await served(proxy.url, 3)).has('c'), { timeout: 1000, what: 'c to take traffic' });
    await proxy.update(config([a.backend, b.backend]));
    await c.backend.close();
  });

  it('sends the configured method, Host and headers, and accepts only the configured status', async () => {
    const seen: Array<{ method?: string; host?: string; token?: string | string[] }> = [];
    const d = await startBackend('d', (req, res) => {
      if (req.url === '/ready') {
        seen.push({ method: req.method, host: req.headers.host, token: req.headers['x-token'] });
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'x-backend': 'd' }).end();
    });
    await proxy.update({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: {
          s: {
            loadBalancer: {
              servers: [{ url: d.url }],
              healthCheck: {
                path: '/ready',
                method: 'HEAD',
                hostname: 'probe.local',
                headers: { 'X-Token': 't' },
                status: 204,
                interval: '100ms',
              },
            },
          },
        },
      },
    });
    await waitFor(() => seen.length > 0, { what: 'a probe' });
    assert.deepEqual(seen[0], { method: 'HEAD', host: 'probe.local', token: 't' });
    await waitFor(async () => (await send(proxy.url)).status === 200, { what: 'd UP' });
    await proxy.update(config([a.backend, b.backend]));
    await d.close();
  });
});

describe('passive health checks', () => {
  let flaky: Backend;
  let steady: Backend;
  let proxy: TestProxy;
  const fail = { on: true };

  before(async () => {
    flaky = await startBackend('flaky', (_req, res) => {
      res.writeHead(fail.on ? 500 : 200, { 'x-backend': 'flaky' }).end();
    });
    steady = await startBackend('steady', (_req, res) => {
      res.writeHead(200, { 'x-backend': 'steady' }).end();
    });
    proxy = await startProxy({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: {
          s: {
            loadBalancer: {
              servers: [{ url: flaky.url }, { url: steady.url }],
              passiveHealthCheck: { failureWindow: '500ms', maxFailedAttempts: 2 },
            },
          },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([flaky.close(), steady.close()]);
  });

  it('takes a server out after maxFailedAttempts 5xx answers within the window, then tries it again', async () => {
    const first = await served(proxy.url, 20);
    // Two 500s take it out; after that only the steady server answers.
    assert.equal(first.get('500'), 2, JSON.stringify([...first]));
    assert.equal(flaky.hits, 2);
    fail.on = false;
    await waitFor(async () => (await served(proxy.url, 2)).has('flaky'), {
      timeout: 2000,
      what: 'flaky back in rotation',
    });
  });
});
