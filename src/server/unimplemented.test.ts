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

describe('rule syntax', () => {
  it('names ruleSyntax v2 as not implemented, the rule read as v3; v3 is silent', () => {
    const { runtime } = build({
      http: {
        routers: {
          old: { rule: 'Host(`a.test`)', ruleSyntax: 'v2', service: 's' },
          new: { rule: 'Host(`b.test`)', ruleSyntax: 'v3', service: 's' },
        },
        services: { s: service },
      },
    });
    assert.equal(runtime.routers.get('old@file')?.status, 'warning');
    assert.match(
      runtime.routers.get('old@file')?.errors[0] ?? '',
      /^http\.routers\.old\.ruleSyntax: the "v2" rule syntax is not implemented/,
    );
    assert.deepEqual(runtime.routers.get('new@file')?.errors, []);
  });
});
