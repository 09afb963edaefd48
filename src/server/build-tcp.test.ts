import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import type { DynamicConfiguration } from '../config/dynamic-schema.js';
import { TcpStats } from '../tcp/stats.js';
import { TcpUpstreams } from '../tcp/upstreams.js';
import { buildTcpTable } from './build-tcp.js';
import { mergeSnapshots } from './merge.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function build(config: DynamicConfiguration, entryPoints = ['web', 'db']) {
  const runtime = mergeSnapshots([{ provider: 'file', config, issues: [] }]);
  const built = buildTcpTable(runtime, {
    entryPoints,
    defaultEntryPoints: entryPoints,
    upstreams: new UpstreamRegistry(),
    connections: new TcpUpstreams(),
    stats: new TcpStats(),
    logger: silent,
  });
  return { runtime, built };
}

describe('the TCP table build', () => {
  test('keys are read in any case, as Traefik does (file and KV providers write them lower-case)', () => {
    const { runtime, built } = build({
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 's', entrypoints: ['db'] } },
        services: { s: { loadbalancer: { servers: [{ address: '127.0.0.1:5432' }], healthcheck: {} } } },
      },
    } as unknown as DynamicConfiguration);
    assert.deepEqual(runtime.tcp.routers.get('r@file')?.errors, []);
    assert.deepEqual(runtime.tcp.services.get('s@file')?.errors, []);
    assert.equal(built.table.has('db'), true);
    assert.equal(built.table.has('web'), false, 'entrypoints: [db] is honoured');
    assert.deepEqual([...built.healthChecks.keys()], ['tcp://127.0.0.1:5432']);
  });

  test('a key Traefik does not have is a warning naming it; the object still works', () => {
    const { runtime, built } = build({
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 's', colour: 'blue' } },
        services: { s: { loadBalancer: { servers: [{ address: '127.0.0.1:1' }] } } },
      },
    } as unknown as DynamicConfiguration);
    const router = runtime.tcp.routers.get('r@file');
    assert.equal(router?.status, 'warning');
    assert.deepEqual(router?.errors, ['tcp.routers.r.colour: unknown key, ignored']);
    assert.equal(built.table.has('web'), true);
  });

  test("healthCheck: Traefik's defaults (30 s, 5 s), port replaces the server's, TLS when the server dials TLS", () => {
    const { built } = build({
      tcp: {
        services: {
          plain: { loadBalancer: { servers: [{ address: 'db.test:5432' }], healthCheck: { port: 9000 } } },
          secure: {
            loadBalancer: {
              servers: [{ address: '10.0.0.1:6380', tls: true }],
              healthCheck: { send: 'PING\r\n', expect: '+PONG', interval: '2s', unhealthyInterval: '500ms' },
            },
          },
        },
      },
    } as unknown as DynamicConfiguration);
    assert.deepEqual(built.healthChecks.get('tcp://db.test:5432'), {
      kind: 'tcp',
      host: 'db.test',
      port: 9000,
      tls: null,
      send: '',
      expect: '',
      timeout: 5000,
      interval: 30_000,
      unhealthyInterval: 30_000,
    });
    assert.deepEqual(built.healthChecks.get('tcp://10.0.0.1:6380'), {
      kind: 'tcp',
      host: '10.0.0.1',
      port: 6380,
      tls: { insecureSkipVerify: false },
      send: 'PING\r\n',
      expect: '+PONG',
      timeout: 5000,
      interval: 2000,
      unhealthyInterval: 500,
    });
  });

  test('a send over 64 KiB falls back to connecting only, with a warning', () => {
    const { runtime, built } = build({
      tcp: {
        services: {
          s: { loadBalancer: { servers: [{ address: '127.0.0.1:1' }], healthCheck: { send: 'x'.repeat(70_000) } } },
        },
      },
    } as unknown as DynamicConfiguration);
    assert.equal(built.healthChecks.get('tcp://127.0.0.1:1')?.send, '');
    assert.match(
      runtime.tcp.services.get('s@file')?.errors.join('\n') ?? '',
      /healthCheck\.send: longer than 65535 bytes/,
    );
  });

  test('a terminating router has a TLS policy with its options; unknown options disable it', () => {
    const { runtime, built } = build({
      tcp: {
        routers: {
          ok: { rule: 'HostSNI(`a.test`)', service: 's', tls: {} },
          bad: { rule: 'HostSNI(`b.test`)', service: 's', tls: { options: 'nope' } },
          through: { rule: 'HostSNI(`c.test`)', service: 's', tls: { passthrough: true } },
        },
        services: { s: { loadBalancer: { servers: [{ address: '127.0.0.1:1' }] } } },
      },
    } as unknown as DynamicConfiguration);
    const routes = built.table.of('web').tls;
    assert.deepEqual(
      routes.map((r) => [r.name, r.tls, r.tlsPolicy !== null]),
      [
        ['ok@file', 'terminate', true],
        ['through@file', 'passthrough', false],
      ],
    );
    assert.equal(runtime.tcp.routers.get('bad@file')?.status, 'disabled');
    assert.deepEqual(runtime.tcp.routers.get('bad@file')?.errors, [
      'tcp.routers.bad.tls.options: unknown TLS options: nope@file',
    ]);
  });

  test("loadBalancer.terminationDelay is Traefik's integer of milliseconds", () => {
    const { runtime } = build({
      tcp: {
        services: {
          ms: { loadBalancer: { servers: [{ address: '127.0.0.1:1' }], terminationDelay: 200 } },
          words: { loadBalancer: { servers: [{ address: '127.0.0.1:2' }], terminationDelay: '200ms' } },
        },
      },
    } as unknown as DynamicConfiguration);
    assert.deepEqual(runtime.tcp.services.get('ms@file')?.errors, []);
    assert.equal(runtime.tcp.services.get('words@file')?.status, 'disabled');
  });
});
