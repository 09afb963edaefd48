/**
 * The KV providers against real stores (Redis and etcd from Debian, started by the test), with
 * two Switchyard instances reading the same store, as a fleet does: routes come from Traefik's
 * key layout, a change reaches both, and a store that goes away under load costs no request
 * (the last configuration keeps serving, the failure is reported, the return resynchronises).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { loadStaticConfiguration } from '../../../src/config/static-loader.js';
import { assembleSwitchyard } from '../../../src/server/create.js';
import type { Switchyard } from '../../../src/server/switchyard.js';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { send, waitFor } from '../../helpers/http.js';
import { type KvServer, kvSkipReason, startEtcd, startRedis } from '../../helpers/kv-servers.js';
import { memoryLogger } from '../../helpers/proxy.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

const skip = kvSkipReason();

/** Writes and deletes keys in the store under test. */
interface Writer {
  set(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

function redisWriter(endpoint: string): Writer {
  const [host, port] = endpoint.split(':');
  const client = new Redis({ host, port: Number(port), lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return {
    set: async (key, value) => void (await client.set(key, value)),
    del: async (key) => void (await client.del(key)),
    close: async () => client.disconnect(),
  };
}

function etcdWriter(endpoint: string): Writer {
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  return {
    set: async (key, value) => void (await client.put(key).value(value)),
    del: async (key) => void (await client.delete().key(key)),
    close: async () => client.close(),
  };
}

interface Instance {
  app: Switchyard;
  url: string;
}

async function startInstance(store: 'redis' | 'etcd', endpoint: string): Promise<Instance> {
  const { config, remarks } = await loadStaticConfiguration({
    args: ['--entryPoints.web.address=127.0.0.1:0', `--providers.${store}.endpoints=${endpoint}`],
    env: {},
    cwd: process.cwd(),
    searchDirs: [],
  });
  const { app } = await assembleSwitchyard(config, memoryLogger(), { staticWarnings: remarks });
  await app.start();
  return { app, url: `http://127.0.0.1:${app.entryPoints.get('web')?.port}` };
}

/** The backend answering `GET /` on `instance` (its `X-Backend`), or the status when none did. */
async function answer(instance: Instance): Promise<string> {
  const response = await send(`${instance.url}/`);
  return response.status === 200 ? String(response.headers['x-backend']) : `status ${response.status}`;
}

/** Both instances answer only from `expected` backends (all of them seen within a few requests). */
async function converged(instances: Instance[], expected: string[]): Promise<boolean> {
  for (const instance of instances) {
    const seen = new Set<string>();
    for (let i = 0; i < expected.length * 4; i++) seen.add(await answer(instance));
    if ([...seen].sort().join() !== [...expected].sort().join()) return false;
  }
  return true;
}

async function writeRoute(writer: Writer, servers: Backend[]): Promise<void> {
  await writer.set('traefik/http/routers/app/rule', 'PathPrefix(`/`)');
  await writer.set('traefik/http/routers/app/entrypoints/0', 'web');
  await writer.set('traefik/http/routers/app/service', 'app');
  for (const [i, backend] of servers.entries()) {
    await writer.set(`traefik/http/services/app/loadbalancer/servers/${i}/url`, backend.url);
  }
}

for (const store of ['redis', 'etcd'] as const) {
  describe(`${store} provider, two instances`, { skip }, () => {
    let server: KvServer;
    let writer: Writer;
    let a: Backend;
    let b: Backend;
    let instances: Instance[] = [];

    before(async () => {
      server = store === 'redis' ? await startRedis({ notifications: true }) : await startEtcd();
      writer = store === 'redis' ? redisWriter(server.endpoint) : etcdWriter(server.endpoint);
      a = await startBackend('a');
      b = await startBackend('b');
      await writeRoute(writer, [a]);
      instances = [await startInstance(store, server.endpoint), await startInstance(store, server.endpoint)];
    });

    after(async () => {
      for (const instance of instances) await instance.app.stop(500);
      await writer.close();
      await server.dispose();
      await a.close();
      await b.close();
    });

    test('routes from the keys, and a change reaches both instances', async () => {
      assert.ok(await converged(instances, ['a']), 'both instances answer from backend a');
      await writer.set('traefik/http/services/app/loadbalancer/servers/1/url', b.url);
      await waitFor(() => converged(instances, ['a', 'b']), { timeout: 5000, what: 'both servers on both instances' });
      await writer.del('traefik/http/services/app/loadbalancer/servers/1/url');
      await waitFor(() => converged(instances, ['a']), { timeout: 5000, what: 'server b gone from both instances' });
      // A key the layout does not know is named, with the key it came from, not dropped silently.
      await writer.set('traefik/http/routers/app/observability/tracing', 'true');
      const router = await waitFor(
        () =>
          instances[0].app.runtime.routers
            .get(`app@${store}`)
            ?.errors.find((message) => message.includes('observability')),
        { timeout: 5000, what: 'a warning naming the unknown key' },
      );
      assert.match(router, /traefik\/http\/routers\/app\/observability\/tracing/);
      await writer.del('traefik/http/routers/app/observability/tracing');
    });

    test('a sticky cookie set by one instance holds on the other (it names the server, not the instance)', async () => {
      await writeRoute(writer, [a, b]);
      await writer.set('traefik/http/services/app/loadbalancer/sticky/cookie/name', 'sy_sticky');
      await waitFor(() => converged(instances, ['a', 'b']), { timeout: 5000, what: 'both servers on both instances' });
      const first = await waitFor(
        async (): Promise<{ cookie: string; backend: unknown } | undefined> => {
          const response = await send(`${instances[0].url}/`);
          const cookie = String(response.headers['set-cookie'] ?? '');
          return cookie.startsWith('sy_sticky=')
            ? { cookie: cookie.split(';')[0] as string, backend: response.headers['x-backend'] }
            : undefined;
        },
        { timeout: 5000, what: 'the sticky cookie' },
      );
      for (let i = 0; i < 10; i++) {
        const response = await send(`${instances[i % 2].url}/`, { headers: { cookie: first.cookie } });
        assert.equal(response.headers['x-backend'], first.backend, `request ${i} on instance ${i % 2}`);
      }
      await writer.del('traefik/http/services/app/loadbalancer/sticky/cookie/name');
      await writer.del('traefik/http/services/app/loadbalancer/servers/1/url');
      await waitFor(() => converged(instances, ['a']), { timeout: 5000, what: 'back to server a alone' });
    });

    test('the store goes away under load: no failed request, the failure is reported, its return resynchronises', async () => {
      const load = startSteadyLoad({
        url: `${instances[0].url}/`,
        minRequests: 200,
        maxRequests: 20_000,
        maxMs: 40_000,
      });
      const load2 = startSteadyLoad({
        url: `${instances[1].url}/`,
        minRequests: 200,
        maxRequests: 20_000,
        maxMs: 40_000,
      });
      await load.sentAtLeast(50, 5000);
      await server.stop();
      for (const instance of instances) {
        await waitFor(() => instance.app.watcher.failures.has(store), {
          timeout: 15_000,
          what: `the ${store} failure in the API`,
        });
      }
      const failure = instances[0].app.watcher.failures.get(store);
      assert.match(String(failure?.message), new RegExp(store), 'the failure names the store');
      assert.ok(await converged(instances, ['a']), 'the last configuration keeps serving');
      await server.start();
      // The store comes back with its keys (a Redis emptied by a restart would rightly empty the routes).
      await writer.set('traefik/http/services/app/loadbalancer/servers/0/url', b.url);
      await waitFor(() => converged(instances, ['b']), {
        timeout: 40_000,
        interval: 200,
        what: 'resynchronised on both',
      });
      for (const instance of instances) assert.equal(instance.app.watcher.failures.has(store), false);
      const figures = [await load.finish(), await load2.finish()];
      for (const f of figures) {
        assert.equal(f.failed + f.timedOut, 0, `no failed request: ${f.problems.join('; ')}`);
        assert.ok(f.ok >= 200);
      }
    });
  });
}

describe('redis without keyspace notifications', { skip }, () => {
  test('polls, and still follows a change', async () => {
    const server = await startRedis({ notifications: false });
    const writer = redisWriter(server.endpoint);
    const a = await startBackend('a');
    const b = await startBackend('b');
    let instance: Instance | undefined;
    try {
      await writeRoute(writer, [a]);
      instance = await startInstance('redis', server.endpoint);
      assert.ok(await converged([instance], ['a']));
      await writer.set('traefik/http/services/app/loadbalancer/servers/0/url', b.url);
      await waitFor(() => converged([instance as Instance], ['b']), { timeout: 8000, what: 'the change, by polling' });
    } finally {
      await instance?.app.stop(500);
      await writer.close();
      await server.dispose();
      await a.close();
      await b.close();
    }
  });
});

describe('rateLimit.redis: one limit shared by two instances', { skip }, () => {
  test('the passes of both instances together stay within 20 % of the single limit', async (t) => {
    const server = await startRedis({ notifications: true });
    const writer = redisWriter(server.endpoint);
    const a = await startBackend('a');
    const instances: Instance[] = [];
    try {
      await writeRoute(writer, [a]);
      await writer.set('traefik/http/routers/app/middlewares/0', 'limit');
      await writer.set('traefik/http/middlewares/limit/ratelimit/average', '20');
      await writer.set('traefik/http/middlewares/limit/ratelimit/period', '1s');
      await writer.set('traefik/http/middlewares/limit/ratelimit/burst', '10');
      await writer.set('traefik/http/middlewares/limit/ratelimit/redis/endpoints/0', server.endpoint);
      instances.push(await startInstance('redis', server.endpoint), await startInstance('redis', server.endpoint));
      for (const instance of instances) {
        await waitFor(() => instance.app.runtime.middlewares.get('limit@redis')?.status === 'enabled', {
          what: 'the rateLimit middleware enabled',
        });
      }
      // Both instances at once, as fast as they answer, for about 3 s.
      const counts = instances.map(() => ({ passed: 0, limited: 0, other: 0 }));
      const started = Date.now();
      const seconds = 3;
      await Promise.all(
        instances.flatMap((instance, i) =>
          Array.from({ length: 3 }, async () => {
            while (Date.now() - started < seconds * 1000) {
              const { status } = await send(`${instance.url}/`);
              const count = counts[i] as { passed: number; limited: number; other: number };
              if (status === 200) count.passed++;
              else if (status === 429) count.limited++;
              else count.other++;
            }
          }),
        ),
      );
      const elapsed = (Date.now() - started) / 1000;
      const passed = counts.reduce((sum, c) => sum + c.passed, 0);
      const expected = 10 + 20 * elapsed;
      t.diagnostic(
        `passes ${counts.map((c) => c.passed).join(' + ')} = ${passed} over ${elapsed.toFixed(2)} s; one limit allows ${expected.toFixed(0)}; limited ${counts.map((c) => c.limited).join(' + ')}`,
      );
      assert.deepEqual(
        counts.map((c) => c.other),
        [0, 0],
        'only 200 and 429',
      );
      assert.ok(
        counts.every((c) => c.passed > 0 && c.limited > 0),
        'both instances pass some and limit some',
      );
      assert.ok(
        Math.abs(passed - expected) <= 0.2 * expected,
        `${passed} passes, expected ${expected.toFixed(0)} ± 20 %`,
      );
    } finally {
      for (const instance of instances) await instance.app.stop(500);
      await writer.close();
      await server.dispose();
      await a.close();
    }
  });
});
