import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import { validateDynamicConfiguration } from '../config/dynamic-validate.js';
import { DEFAULT_TRANSPORT, TransportPool } from '../proxy/transport.js';
import { buildRoutingTable } from './build-table.js';
import { mergeSnapshots } from './merge.js';

function build(routers: Record<string, object>) {
  const raw = {
    http: { routers, services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } } },
  };
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
  return { runtime, routes: built.table.routesOf('web').map((r) => r.name) };
}

describe('multi-layer routing: the router tree', () => {
  it('attaches only roots to entry points; a child with two parents is built under both', () => {
    const { runtime, routes } = build({
      a: { rule: 'PathPrefix(`/a`)' },
      b: { rule: 'PathPrefix(`/b`)' },
      leaf: { rule: 'PathPrefix(`/`)', service: 's', parentRefs: ['a', 'b'] },
    });
    assert.deepEqual(routes.sort(), ['a@file', 'b@file']);
    for (const name of ['a@file', 'b@file', 'leaf@file'])
      assert.equal(runtime.routers.get(name)?.status, 'enabled', name);
  });

  it('cuts a cycle with a warning, and disables what no root reaches', () => {
    const { runtime } = build({
      root: { rule: 'PathPrefix(`/`)' },
      mid: { rule: 'PathPrefix(`/m`)', parentRefs: ['root', 'low'] },
      low: { rule: 'PathPrefix(`/m/l`)', service: 's', parentRefs: ['mid'] },
      island: { rule: 'Path(`/i`)', service: 's', parentRefs: ['islandParent'] },
      islandParent: { rule: 'Path(`/i`)', parentRefs: ['island'] },
    });
    const low = runtime.routers.get('low@file');
    assert.equal(low?.status, 'warning');
    assert.match(low?.errors.join() ?? '', /cyclic reference to child router "mid@file" removed/);
    assert.equal(runtime.routers.get('mid@file')?.status, 'enabled');
    for (const name of ['island@file', 'islandParent@file']) {
      assert.equal(runtime.routers.get(name)?.status, 'disabled', name);
      assert.match(runtime.routers.get(name)?.errors.join() ?? '', /router is not reachable/);
    }
  });

  it('leaves configurations without parentRefs as they were', () => {
    const { runtime, routes } = build({ r: { rule: 'Path(`/`)', service: 's' }, bare: { rule: 'Path(`/x`)' } });
    assert.deepEqual(routes, ['r@file']);
    assert.deepEqual(runtime.routers.get('bare@file')?.errors, ['the router has no service']);
  });
});
