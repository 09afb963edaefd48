/**
 * A fleet sharing its ACME storage in a real Redis (`storage: redis://…`) or etcd (`etcd://…`),
 * against real pebble:
 *
 * - two Switchyard instances (the real assembly, in this process) with the same resolvers and
 *   routers: one order per domain set for the whole fleet, and pebble's validations are sent (by
 *   forwarders standing where pebble validates, like an L4 balancer) to the instance that did
 *   NOT order, which answers them from the challenges shared in Redis; both instances serve the
 *   same issued certificate to a real TLS client;
 * - an instance (the real `switchyard` command, a child process) killed with SIGKILL while it
 *   holds the order lease: the other takes over once the lease expires and gets the certificate.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { EtcdDriver, etcdStorageSettings } from '../../../src/acme/etcd-storage.js';
import { RedisDriver, redisStorageSettings } from '../../../src/acme/redis-storage.js';
import type { SharedStoreDriver } from '../../../src/acme/shared-storage.js';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { startCli } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/http.js';
import { type KvServer, kvSkipReason, startEtcd, startRedis } from '../../helpers/kv-servers.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { freePort } from '../../helpers/ports.js';
import { memoryLogger, startProxy, type TestProxy } from '../../helpers/proxy.js';
import { type Forwarder, startForwarder } from './forwarder.js';

const skip = kvSkipReason();

let pebble: Pebble;
let redis: KvServer;
let etcd: KvServer;
let backend: Backend;
let httpGate: Forwarder;
let tlsGate: Forwarder;
/** Where the forwarders send pebble's validations now (set by each test). */
let httpTargets: () => number[] = () => [];
let tlsTargets: () => number[] = () => [];
const proxies: TestProxy[] = [];
let child: ReturnType<typeof startCli> | undefined;
let dir: string;

interface Instance {
  proxy: TestProxy;
  logger: ReturnType<typeof memoryLogger>;
  websecure: number;
}

function storage(key: string, lease = '5s'): string {
  return `redis://127.0.0.1:${redis.port}/0?key=${key}&poll=300ms&lease=${lease}`;
}

async function instance(routers: object, flags: string[]): Promise<Instance> {
  const logger = memoryLogger();
  const proxy = await startProxy(
    { http: { routers, services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } } } },
    ['--entryPoints.websecure.address=127.0.0.1:0', ...flags],
    { logger },
  );
  proxies.push(proxy);
  return { proxy, logger, websecure: proxy.app.entryPoints.get('websecure')?.port ?? 0 };
}

function resolverFlags(name: string, store: string, challenge: string): string[] {
  return [
    `--certificatesResolvers.${name}.acme.caServer=${pebble.directory}`,
    `--certificatesResolvers.${name}.acme.keyType=EC256`,
    `--certificatesResolvers.${name}.acme.storage=${store}`,
    `--certificatesResolvers.${name}.acme.${challenge}`,
  ];
}

/** The certificate a real TLS client gets on `port` for `servername`: issuer CN and SHA-256 fingerprint. */
function served(port: number, servername: string): Promise<{ issuer: string; fingerprint: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve({ issuer: String(peer.issuer?.CN ?? ''), fingerprint: peer.fingerprint256 ?? '' });
    });
    socket.once('error', () => resolve({ issuer: '', fingerprint: '' }));
  });
}

function orders(i: Instance, resolver: string): number {
  return i.logger.lines.filter(
    (l) => l.msg === 'ordering ACME certificate' && (l.obj as { resolver?: string }).resolver === resolver,
  ).length;
}

function state(i: Instance, resolver: string): string | undefined {
  return i.proxy.app.options.acme?.status?.().certificates.find((c) => c.resolver === resolver)?.state;
}

function issuedByPebble(): number {
  return pebble
    .output()
    .split('\n')
    .filter((l) => /Issued certificate serial/i.test(l)).length;
}

/**
 * Two instances with the same resolvers (`le` over HTTP-01, `alpn` over TLS-ALPN-01) on `store`:
 * one order per domain set, validations sent to the instance that did not order, both serving
 * the same certificate. Returns the instances.
 */
async function fleetOfTwo(store: string, prefix: string): Promise<Instance[]> {
  const issuedBefore = issuedByPebble();
  const routers = {
    app: {
      rule: `Host(\`${prefix}fleet.example.test\`)`,
      entryPoints: ['websecure'],
      service: 'app',
      tls: { certResolver: 'le' },
    },
    alpn: {
      rule: `Host(\`${prefix}fleet-alpn.example.test\`)`,
      entryPoints: ['websecure'],
      service: 'app',
      tls: { certResolver: 'alpn' },
    },
  };
  const flags = [
    ...resolverFlags('le', store, 'httpChallenge.entryPoint=web'),
    ...resolverFlags('alpn', store, 'tlsChallenge=true'),
  ];
  const fleet = await Promise.all([instance(routers, flags), instance(routers, flags)]);
  // Pebble's validations go to the instances waiting for another's order (all of them if none waits).
  const waitingFor = (resolver: string, port: (i: Instance) => number) => () => {
    const waiting = fleet.filter((i) => state(i, resolver) === 'waiting');
    return (waiting.length > 0 ? waiting : fleet).map(port);
  };
  httpTargets = waitingFor('le', (i) => i.proxy.port);
  tlsTargets = waitingFor('alpn', (i) => i.websecure);

  for (const name of [`${prefix}fleet.example.test`, `${prefix}fleet-alpn.example.test`]) {
    // Both instances watched at once: when each first serves the issued certificate.
    const seenAt = await Promise.all(
      fleet.map(async (member) => {
        await waitFor(
          async () => {
            const failed = member.proxy.app.options.acme?.status?.().certificates.find((c) => c.state === 'failed');
            if (failed) assert.fail(`${failed.resolver}: ${failed.lastError}\n${pebble.output().slice(-2000)}`);
            return /Pebble Intermediate/.test((await served(member.websecure, name)).issuer);
          },
          { timeout: 90_000, interval: 50, what: `${name} served by instance ${fleet.indexOf(member)}` },
        );
        return Date.now();
      }),
    );
    console.log(
      `# fleet: ${name} served by the second instance ${Math.abs((seenAt[0] ?? 0) - (seenAt[1] ?? 0))} ms after the first (poll 300ms, ${store.split(':')[0]})`,
    );
    const [a, b] = await Promise.all(fleet.map((m) => served(m.websecure, name)));
    assert.equal(a?.fingerprint, b?.fingerprint, `both instances serve the same certificate for ${name}`);
  }
  for (const resolver of ['le', 'alpn']) {
    const counts = fleet.map((i) => orders(i, resolver));
    assert.deepEqual(
      counts.sort(),
      [0, 1],
      `${resolver}: exactly one order in the fleet (per instance: ${counts.join(', ')})`,
    );
  }
  // The validations reached the instance that did not order: it answered from the store.
  const notOrdering = (resolver: string) => fleet.find((i) => orders(i, resolver) === 0) as Instance;
  assert.ok((httpGate.forwarded.get(notOrdering('le').proxy.port) ?? 0) > 0, 'HTTP-01 answered by the other instance');
  assert.ok(
    (tlsGate.forwarded.get(notOrdering('alpn').websecure) ?? 0) > 0,
    'TLS-ALPN-01 answered by the other instance',
  );
  // Pebble's own count: one certificate issued per domain set.
  assert.equal(issuedByPebble() - issuedBefore, 2);
  return fleet;
}

/**
 * A `switchyard` child process takes the order lease on `store` and holds it (its HTTP-01 answer
 * waits a minute before validation), a second instance waits, the child is killed with SIGKILL:
 * the second instance orders once the lease expires and serves the certificate.
 */
async function takeover(store: string, key: string, driver: SharedStoreDriver, prefix: string): Promise<void> {
  const name = `${prefix}takeover.example.test`;
  const lockKey = `${key}.lock/le/${name}`;
  const routers = {
    app: { rule: `Host(\`${name}\`)`, entryPoints: ['websecure'], service: 'app', tls: { certResolver: 'le' } },
  };
  const file = join(dir, `${prefix}dynamic.yml`);
  await writeFile(
    file,
    stringify({ http: { routers, services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } } } }),
  );
  const [web, websecure] = [await freePort(), await freePort()];
  child = startCli(
    [
      `--entryPoints.web.address=127.0.0.1:${web}`,
      `--entryPoints.websecure.address=127.0.0.1:${websecure}`,
      `--providers.file.filename=${file}`,
      '--log.format=json',
      ...resolverFlags('le', store, 'httpChallenge.entryPoint=web'),
      '--certificatesResolvers.le.acme.httpChallenge.delay=60s',
    ],
    { cwd: dir, env: { LEGO_CA_CERTIFICATES: pebble.caFile } },
  );
  const doomed = child;
  try {
    const holder = await waitFor(() => driver.get(lockKey), {
      timeout: 30_000,
      what: `the lease ${lockKey} (output: ${doomed.output.stdout.slice(-1000)})`,
    });
    assert.match(holder, new RegExp(`/${doomed.child.pid}/`));
    const survivor = await instance(routers, resolverFlags('le', store, 'httpChallenge.entryPoint=web'));
    httpTargets = () => [survivor.proxy.port];
    await waitFor(() => state(survivor, 'le') === 'waiting', { timeout: 30_000, what: 'the survivor waiting' });
    const killedAt = Date.now();
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await waitFor(async () => /Pebble Intermediate/.test((await served(survivor.websecure, name)).issuer), {
      timeout: 60_000,
      interval: 100,
      what: 'the survivor serving the certificate',
    });
    const takeoverMs = Date.now() - killedAt;
    assert.equal(orders(survivor, 'le'), 1);
    // Released at the end of the order.
    await waitFor(async () => (await driver.get(lockKey)) === null, { timeout: 20_000, what: 'the lease released' });
    console.log(
      `# fleet takeover (${store.split(':')[0]}): certificate served ${takeoverMs} ms after the lease holder was killed (lease 3s)`,
    );
  } finally {
    await driver.close();
  }
}

before(async () => {
  if (skip) return;
  pebble = await startPebble();
  redis = await startRedis({ notifications: false });
  etcd = await startEtcd();
  backend = await startBackend('app');
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-fleet-'));
  process.env.LEGO_CA_CERTIFICATES = pebble.caFile;
  httpGate = await startForwarder(pebble.httpPort, () => httpTargets());
  tlsGate = await startForwarder(pebble.tlsPort, () => tlsTargets());
});

after(async () => {
  if (skip) return;
  delete process.env.LEGO_CA_CERTIFICATES;
  if (child && child.child.exitCode === null && child.child.signalCode === null) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
  await Promise.all(proxies.map((p) => p.stop()));
  await httpGate?.close();
  await tlsGate?.close();
  await backend?.close();
  await redis?.dispose();
  await etcd?.dispose();
  await pebble?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a fleet sharing its ACME storage in Redis or etcd', { skip }, () => {
  /** The two instances of the first test (the third one reuses them). */
  let fleet: Instance[] = [];

  it('two instances over Redis: one order per domain set, validations answered by the instance that did not order, both serve the certificate', async () => {
    fleet = await fleetOfTwo(storage('fleet1/acme.json'), '');
  });

  it('the same over etcd (etcd:// storage, leases of etcd)', async () => {
    const store = `etcd://127.0.0.1:${etcd.port}?key=fleet-etcd/acme.json&poll=300ms&lease=5s`;
    await fleetOfTwo(store, 'etcd-');
  });

  it('Redis away, then a corrupt acme.json in it: reported in every instance (storageErrors), certificates still served', async () => {
    const storageErrors = () => fleet.map((i) => i.proxy.app.options.acme?.status?.().storageErrors ?? []);
    const serving = async () =>
      (await Promise.all(fleet.map((i) => served(i.websecure, 'fleet.example.test')))).every((c) =>
        /Pebble/.test(c.issuer),
      );
    await redis.stop();
    await waitFor(() => storageErrors().every((e) => /cannot read the ACME storage/.test(e[0]?.error ?? '')), {
      timeout: 30_000,
      what: 'both instances reporting the storage away',
    });
    assert.ok(await serving(), 'certificates served while Redis is away');
    await redis.start();
    await waitFor(() => storageErrors().every((e) => e.length === 0), {
      timeout: 30_000,
      what: 'the storage readable again',
    });
    const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.multi().set('fleet1/acme.json', '{ not json').incr('fleet1/acme.json.version').exec();
    } finally {
      client.disconnect();
    }
    await waitFor(() => storageErrors().every((e) => /not a valid acme\.json/.test(e[0]?.error ?? '')), {
      timeout: 30_000,
      what: 'both instances reporting the corrupt storage',
    });
    assert.ok(await serving(), 'certificates served with a corrupt storage');
  });

  it('an instance killed while it holds the order lease: the other takes over once the lease expires (Redis)', async () => {
    const settings = redisStorageSettings(storage('fleet2/acme.json', '3s'));
    await takeover(storage('fleet2/acme.json', '3s'), 'fleet2/acme.json', new RedisDriver(settings.options), '');
  });

  it("the same over etcd: the holder's etcd lease ends with it", async () => {
    const store = `etcd://127.0.0.1:${etcd.port}?key=fleet-etcd2/acme.json&poll=300ms&lease=3s`;
    await takeover(store, 'fleet-etcd2/acme.json', new EtcdDriver(etcdStorageSettings(store)), 'etcd-');
  });
});
