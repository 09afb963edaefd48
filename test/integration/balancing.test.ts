import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { stickyValue } from '../../src/balancer/sticky.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** The backend that answered (echo backends name themselves in X-Backend). */
async function who(url: string, headers: Record<string, string> = {}) {
  const response = await send(url, { headers });
  return { backend: String(response.headers['x-backend']), response };
}

function cookieOf(setCookie: string | string[] | undefined, name: string): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  return list.find((c) => c.startsWith(`${name}=`));
}

describe('load balancing strategies through the proxy', () => {
  let backends: Backend[];
  let proxy: TestProxy;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((name) => startBackend(name)));
    const servers = backends.map((b) => ({ url: b.url }));
    proxy = await startProxy({
      http: {
        routers: {
          wrr: { rule: 'Path(`/wrr`)', service: 'wrr' },
          weights: { rule: 'Path(`/weights`)', service: 'weights' },
          p2c: { rule: 'Path(`/p2c`)', service: 'p2c' },
          hrw: { rule: 'Path(`/hrw`)', service: 'hrw' },
        },
        services: {
          wrr: { loadBalancer: { servers } },
          weights: { loadBalancer: { servers: [{ url: backends[0]!.url, weight: 3 }, { url: backends[1]!.url }] } },
          p2c: { loadBalancer: { strategy: 'p2c', servers } },
          hrw: { loadBalancer: { strategy: 'hrw', servers } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('wrr answers a fixed sequence of 6 requests a b c a b c', async () => {
    const sequence: string[] = [];
    for (let i = 0; i < 6; i++) sequence.push((await who(`${proxy.url}/wrr`)).backend);
    // The rotation may start anywhere, but it is a strict cycle over the three.
    assert.deepEqual(sequence.slice(3), sequence.slice(0, 3));
    assert.deepEqual([...sequence.slice(0, 3)].sort(), ['a', 'b', 'c']);
  });

  it('wrr with weights 3:1 serves 8 requests as 6 and 2', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 8; i++) {
      const { backend } = await who(`${proxy.url}/weights`);
      seen[backend] = (seen[backend] ?? 0) + 1;
    }
    assert.deepEqual(seen, { a: 6, b: 2 });
  });

  it('p2c spreads 90 sequential requests over all three servers', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 90; i++) {
      const { backend } = await who(`${proxy.url}/p2c`);
      seen[backend] = (seen[backend] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(seen).sort(), ['a', 'b', 'c']);
    for (const count of Object.values(seen)) assert.ok(count >= 10, JSON.stringify(seen));
  });

  it('hrw sends every request of one client to one server', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await who(`${proxy.url}/hrw`)).backend);
    assert.equal(seen.size, 1);
  });
});

describe('p2c under a slow backend', () => {
  let fast: Backend;
  let slow: Backend;
  let proxy: TestProxy;

  before(async () => {
    fast = await startBackend('fast');
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('slow'), 200);
    });
    proxy = await startProxy({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: { s: { loadBalancer: { strategy: 'p2c', servers: [{ url: fast.url }, { url: slow.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([fast.close(), slow.close()]);
  });

  it('sends most of 200 concurrent requests to the server with fewer in flight', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    let next = 0;
    const worker = async () => {
      while (next < 200) {
        next++;
        await send(proxy.url, { agent });
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    agent.destroy();
    // Round robin would give the slow server 100; p2c sees its requests pile up and avoids it.
    assert.ok(slow.hits < 40, `slow got ${slow.hits}, fast got ${fast.hits}`);
    assert.equal(slow.hits + fast.hits, 200);
  });
});

describe('sticky sessions with a cookie', () => {
  let backends: Backend[];
  let proxy: TestProxy;
  let config: (urls: string[]) => object;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((name) => startBackend(name)));
    config = (urls) => ({
      http: {
        routers: {
          sticky: { rule: 'PathPrefix(`/s`)', service: 'sticky' },
          plain: { rule: 'PathPrefix(`/d`)', service: 'defaults' },
          nested: { rule: 'PathPrefix(`/n`)', service: 'outer' },
        },
        services: {
          sticky: {
            loadBalancer: {
              servers: urls.map((url) => ({ url })),
              sticky: { cookie: { name: 'lb', httpOnly: true, secure: true, sameSite: 'lax', maxAge: 60 } },
            },
          },
          defaults: { loadBalancer: { servers: urls.map((url) => ({ url })), sticky: { cookie: {} } } },
          outer: {
            weighted: {
              services: [{ name: 'left' }, { name: 'right' }],
              sticky: { cookie: { name: 'outer' } },
            },
          },
          left: {
            loadBalancer: {
              servers: [{ url: backends[0]!.url }, { url: backends[1]!.url }],
              sticky: { cookie: { name: 'inner' } },
            },
          },
          right: { loadBalancer: { servers: [{ url: backends[2]!.url }], sticky: { cookie: { name: 'inner' } } } },
        },
      },
    });
    proxy = await startProxy(config(backends.map((b) => b.url)));
  });

  after(async () => {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('sets a cookie whose value is the hash of the server URL, with the configured attributes', async () => {
    const { backend, response } = await who(`${proxy.url}/s`);
    const cookie = cookieOf(response.headers['set-cookie'], 'lb');
    const server = backends.find((b) => b.name === backend)!;
    assert.equal(cookie, `lb=${stickyValue(server.url)}; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax`);
    assert.match(cookie!, /^lb=[0-9a-f]{16};/);
    assert.ok(!cookie!.includes('127.0.0.1') && !cookie!.includes(String(server.port)), 'the address leaked');
  });

  it('sends 100 requests carrying the cookie to the one server it names', async () => {
    const first = await who(`${proxy.url}/s`);
    const value = cookieOf(first.response.headers['set-cookie'], 'lb')!.split(';')[0]!;
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const { backend, response } = await who(`${proxy.url}/s`, { cookie: `other=1; ${value}` });
      seen.add(backend);
      assert.equal(response.headers['set-cookie'], undefined, 'a valid pin is not set again');
    }
    assert.deepEqual([...seen], [first.backend]);
  });

  it('names the cookie after the service when no name is configured', async () => {
    const { response } = await who(`${proxy.url}/d`);
    assert.match(String(response.headers['set-cookie']), /^_[0-9a-f]{6}=[0-9a-f]{16}; Path=\/$/);
  });

  it('re-pins an unknown cookie value to a server and sets a new cookie', async () => {
    const { backend, response } = await who(`${proxy.url}/s`, { cookie: 'lb=0123456789abcdef' });
    const server = backends.find((b) => b.name === backend)!;
    assert.ok(cookieOf(response.headers['set-cookie'], 'lb')?.startsWith(`lb=${stickyValue(server.url)};`));
  });

  it('re-pins to another server when the pinned server leaves the configuration', async () => {
    const first = await who(`${proxy.url}/s`);
    const value = cookieOf(first.response.headers['set-cookie'], 'lb')!.split(';')[0]!;
    await proxy.update(config(backends.filter((b) => b.name !== first.backend).map((b) => b.url)));
    const { backend, response } = await who(`${proxy.url}/s`, { cookie: value });
    assert.notEqual(backend, first.backend);
    const server = backends.find((b) => b.name === backend)!;
    const repinned = cookieOf(response.headers['set-cookie'], 'lb')!;
    assert.ok(repinned.startsWith(`lb=${stickyValue(server.url)};`));
    // The new pin holds.
    for (let i = 0; i < 10; i++) {
      assert.equal((await who(`${proxy.url}/s`, { cookie: repinned.split(';')[0]! })).backend, backend);
    }
    await proxy.update(config(backends.map((b) => b.url)));
  });

  it('pins both levels of a weighted service of load balancers with two cookies', async () => {
    const first = await who(`${proxy.url}/n`);
    const setCookie = first.response.headers['set-cookie'] as string[];
    const outer = cookieOf(setCookie, 'outer')!;
    const inner = cookieOf(setCookie, 'inner')!;
    assert.ok(outer.startsWith(`outer=${stickyValue(first.backend === 'c' ? 'right@file' : 'left@file')};`));
    assert.ok(inner !== undefined);
    const cookie = `${outer.split(';')[0]}; ${inner.split(';')[0]}`;
    for (let i = 0; i < 20; i++) assert.equal((await who(`${proxy.url}/n`, { cookie })).backend, first.backend);
  });

  it('keeps the cookies the server sets next to the sticky cookie', async () => {
    const own = await startBackend('own', (_req, res) => {
      res.setHeader('set-cookie', ['session=abc; Path=/']);
      res.end('ok');
    });
    await proxy.update({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: { s: { loadBalancer: { servers: [{ url: own.url }], sticky: { cookie: { name: 'lb' } } } } },
      },
    });
    const response = await send(`${proxy.url}/`);
    const cookies = response.headers['set-cookie'] as string[];
    assert.ok(cookieOf(cookies, 'session'));
    assert.ok(cookieOf(cookies, 'lb'));
    await own.close();
    await proxy.update(config(backends.map((b) => b.url)));
    await waitFor(async () => (await send(`${proxy.url}/s`)).status === 200, { what: 'the sticky route back' });
  });
});
