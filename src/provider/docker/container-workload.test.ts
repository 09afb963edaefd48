import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeReplica, inspectFixture } from '../../../test/helpers/docker-fixtures.js';
import { workloadFromContainer, workloadsFromContainers } from './container-workload.js';

test('a compose container becomes a workload grouped by its compose project and service', () => {
  const workload = workloadFromContainer(composeReplica('shop', 'api', 2, { ports: ['8080/tcp', '53/udp', '80/tcp'] }));
  assert.equal(workload.kind, 'container');
  assert.equal(workload.name, 'shop-api-2');
  assert.deepEqual(workload.group, { project: 'shop', service: 'api' });
  assert.equal(workload.running, true);
  assert.deepEqual(workload.address, {
    kind: 'networks',
    networks: { bridge: '172.17.0.2' },
    ports: [80, 8080],
    // UDP ports apart: only a UDP service's default port may be one.
    udpPorts: [53],
    bindings: {},
  });
});

test("Docker's health statuses map to the workload's, and a stopped container is not running", () => {
  assert.equal(workloadFromContainer(inspectFixture({ name: 'a' })).health, 'none');
  assert.equal(workloadFromContainer(inspectFixture({ name: 'b', health: 'starting' })).health, 'starting');
  assert.equal(workloadFromContainer(inspectFixture({ name: 'c', health: 'unhealthy' })).health, 'unhealthy');
  assert.equal(workloadFromContainer(inspectFixture({ name: 'd', running: false })).running, false);
});

test('a container sharing another container’s network takes that container’s networks', () => {
  const host = inspectFixture({ id: 'a'.repeat(64), name: 'vpn', networks: { edge: '10.1.0.5' } });
  const guest = inspectFixture({ name: 'app', networkMode: `container:${'a'.repeat(12)}`, networks: {} });
  const [, workload] = workloadsFromContainers([host, guest]);
  assert.deepEqual(workload?.address.kind === 'networks' && workload.address.networks, { edge: '10.1.0.5' });
  const alone = workloadFromContainer(guest);
  assert.match(alone.address.kind === 'networks' ? (alone.address.unreachable ?? '') : '', /which is not running/);
});
