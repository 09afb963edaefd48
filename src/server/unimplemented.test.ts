import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import { validateDynamicConfiguration } from '../config/dynamic-validate.js';
import { DEFAULT_TRANSPORT, TransportPool } from '../proxy/transport.js';
import { buildRoutingTable } from './build-table.js';
import { mergeSnapshots } from './merge.js';

/** Validates, merges and builds `raw` as the file provider's configuration. */
function build(raw: unknown) {
  const { config, issues } = validateDynamicConfiguration(raw);
  const runtime = mergeSnapshots([{ provider: 'file', config, issues }]);
  const transports = new TransportPool();
  const built = buildRoutingTable(runtime, {
    entryPoints: ['web'],
    defaultEntryPoints: ['web'],
    upstreams: new UpstreamRegistry(),
    transports,
    defaultTransport: DEFAULT_TRANSPORT,
    internalServices: new Map(),
  });
  transports.destroyAll();
  return { runtime, built };
}

const service = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };

describe('configuration that is not implemented yet', () => {
  it('qualifies TCP and UDP objects into the runtime configuration, linked to their users, without a "not implemented" warning (issue 16 implements them)', () => {
    const { runtime } = build({
      tcp: {
        routers: { db: { rule: 'HostSNI(`*`)', service: 'db' } },
        services: { db: { loadBalancer: { servers: [{ address: '127.0.0.1:5432' }] } } },
        middlewares: { allow: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } } },
        serversTransports: { t: { dialTimeout: '1s' } },
      },
      udp: { routers: { dns: { service: 'dns' } }, services: { dns: { loadBalancer: {} } } },
    });
    const db = runtime.tcp.routers.get('db@file');
    assert.equal(db?.status, 'enabled');
    assert.deepEqual(db?.errors, []);
    assert.deepEqual(runtime.tcp.services.get('db@file')?.usedBy, ['db@file']);
    assert.equal(runtime.tcp.middlewares.get('allow@file')?.status, 'enabled');
    assert.equal(runtime.tcp.serversTransports.get('t@file')?.status, 'enabled');
    assert.deepEqual(runtime.udp.routers.get('dns@file')?.errors, []);
    assert.deepEqual(runtime.udp.services.get('dns@file')?.usedBy, ['dns@file']);
  });

  it('lists every tls section in the issues, naming its key', () => {
    const { runtime } = build({
      tls: {
        certificates: [
          { certFile: '/a.crt', keyFile: '/a.key' },
          { certFile: '/b.crt', keyFile: '/b.key' },
        ],
        options: { modern: { minVersion: 'VersionTLS13' } },
        stores: { default: { defaultCertificate: { certFile: '/a.crt', keyFile: '/a.key' } } },
      },
    });
    assert.deepEqual(
      runtime.issues.map((i) => [i.key, i.severity, i.source]),
      [
        ['tls.options.modern', 'warning', 'file'],
        ['tls.stores.default', 'warning', 'file'],
        ['tls.certificates', 'warning', 'file'],
      ],
    );
    assert.match(runtime.issues[2]?.message ?? '', /2 certificate\(s\) ignored/);
  });

  it('disables an HTTP router with tls instead of routing it as plain HTTP, and keeps the others', () => {
    const { runtime, built } = build({
      http: {
        routers: {
          secure: { rule: 'Host(`a.test`)', service: 'app', tls: { certResolver: 'le' } },
          labelled: { rule: 'Host(`b.test`)', service: 'app', tls: 'true' },
          empty: { rule: 'Host(`d.test`)', service: 'app', tls: null },
          plain: { rule: 'Host(`c.test`)', service: 'app', tls: 'false' },
        },
        services: { app: service },
      },
    });
    const secure = runtime.routers.get('secure@file');
    assert.equal(secure?.status, 'disabled');
    assert.deepEqual(secure?.errors, [
      'http.routers.secure.tls: TLS is not implemented yet; the router is disabled rather than served over plain HTTP',
    ]);
    assert.equal(runtime.routers.get('labelled@file')?.status, 'disabled');
    assert.equal(runtime.routers.get('empty@file')?.status, 'disabled');
    assert.equal(runtime.routers.get('plain@file')?.status, 'enabled');
    assert.deepEqual(
      built.table.routesOf('web').map((r) => r.name),
      ['plain@file'],
    );
  });

  it('reports an unknown HTTP router key and an unknown section as warnings naming the key', () => {
    const { runtime } = build({
      http: {
        routers: { r: { rule: 'Host(`a.test`)', service: 'app', observability: { accessLogs: false } } },
        services: { app: service },
      },
      tcp: { routerz: {} },
    });
    const router = runtime.routers.get('r@file');
    assert.equal(router?.status, 'warning');
    assert.match(router?.errors.join(' ') ?? '', /^http\.routers\.r\.observability: .*ignored/);
    assert.deepEqual(
      runtime.issues.map((i) => i.key),
      ['tcp.routerz'],
    );
  });

  it('drops a TCP router that is not a mapping with an error naming it, and keeps the rest', () => {
    const { config, issues } = validateDynamicConfiguration({
      tcp: { routers: { bad: 'HostSNI(`*`)', good: { rule: 'HostSNI(`*`)' } } },
      udp: 'nope',
    });
    assert.deepEqual(Object.keys(config.tcp?.routers ?? {}), ['good']);
    const byPath = new Map(issues.map((i) => [i.path.join('.'), i]));
    assert.equal(byPath.get('tcp.routers.bad')?.severity, 'error');
    assert.match(byPath.get('tcp.routers.bad')?.message ?? '', /^TCP router "bad": /);
    assert.match(byPath.get('udp')?.message ?? '', /udp must be a mapping of routers and services/);
  });
});
