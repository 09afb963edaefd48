import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLabelConfiguration } from '../labels/build-configuration.js';
import type { SwarmService, SwarmTask } from './swarm-api.js';
import { networkNames, workloadsFromSwarm } from './swarm-workload.js';

const networks = networkNames([
  { Id: 'n1', Name: 'seed_net' },
  { Id: 'n2', Name: 'ingress' },
]);

function service(name: string, labels: Record<string, string>, vip?: string): SwarmService {
  return {
    ID: `svc-${name}`,
    Spec: { Name: name, Labels: labels },
    Endpoint: { VirtualIPs: vip === undefined ? [] : [{ NetworkID: 'n1', Addr: `${vip}/24` }] },
  };
}

function task(serviceName: string, slot: number, ip: string, state = 'running', desired = 'running'): SwarmTask {
  return {
    ID: `task-${serviceName}-${slot}`,
    ServiceID: `svc-${serviceName}`,
    Slot: slot,
    DesiredState: desired,
    Status: { State: state },
    NetworksAttachments: [
      { Network: { ID: 'n2', Spec: { Name: 'ingress' } }, Addresses: [`10.255.0.${slot}/16`] },
      { Network: { ID: 'n1', Spec: { Name: 'seed_net' } }, Addresses: [`${ip}/24`] },
    ],
  };
}

const labels = {
  'traefik.enable': 'true',
  'traefik.http.routers.api.rule': 'PathPrefix(`/api`)',
  'traefik.http.services.api.loadbalancer.server.port': '3000',
  'traefik.swarm.network': 'seed_net',
  'com.docker.stack.namespace': 'seed',
};

test('one server per running task, at its IP on the network the label names', () => {
  const workloads = workloadsFromSwarm(
    [service('seed_api', labels)],
    [task('seed_api', 1, '10.0.1.3'), task('seed_api', 2, '10.0.1.4')],
    networks,
  );
  const { config, issues } = buildLabelConfiguration(workloads);
  assert.deepEqual(issues, []);
  assert.deepEqual(
    config.http?.services?.api?.loadBalancer?.servers?.map((s) => s.url),
    ['http://10.0.1.3:3000', 'http://10.0.1.4:3000'],
  );
  assert.equal(config.http?.routers?.api?.rule, 'PathPrefix(`/api`)');
});

test('tasks Swarm no longer wants (scale-down: desired state shutdown) or that do not run are out', () => {
  const workloads = workloadsFromSwarm(
    [service('seed_api', labels)],
    [
      task('seed_api', 1, '10.0.1.3'),
      task('seed_api', 2, '10.0.1.4', 'running', 'shutdown'),
      task('seed_api', 3, '10.0.1.5', 'starting'),
    ],
    networks,
  );
  const { config } = buildLabelConfiguration(workloads);
  assert.deepEqual(
    config.http?.services?.api?.loadBalancer?.servers?.map((s) => s.url),
    ['http://10.0.1.3:3000'],
  );
});

test('lbswarm=true: the service is one server at its virtual IP', () => {
  const workloads = workloadsFromSwarm(
    [service('seed_api', { ...labels, 'traefik.swarm.lbswarm': 'true' }, '10.0.1.2')],
    [task('seed_api', 1, '10.0.1.3'), task('seed_api', 2, '10.0.1.4')],
    networks,
  );
  const { config } = buildLabelConfiguration(workloads);
  assert.deepEqual(
    config.http?.services?.api?.loadBalancer?.servers?.map((s) => s.url),
    ['http://10.0.1.2:3000'],
  );
});

test('the default service and rule use the Swarm service name, normalised as Traefik does', () => {
  const workloads = workloadsFromSwarm(
    [service('seed_web', { 'traefik.http.services.web.loadbalancer.server.port': '80' })],
    [task('seed_web', 1, '10.0.1.9')],
    networks,
  );
  const { config } = buildLabelConfiguration(workloads, { network: 'seed_net' });
  assert.equal(config.http?.routers?.['seed-web']?.rule, 'Host(`seed-web`)');
});

test('without a port label a task exposes no port: the service is in error, not guessed', () => {
  const workloads = workloadsFromSwarm(
    [service('seed_api', { 'traefik.http.routers.api.rule': 'Path(`/`)' })],
    [task('seed_api', 1, '10.0.1.3')],
    networks,
  );
  const { issues } = buildLabelConfiguration(workloads);
  assert.ok(
    issues.some((i) => i.message.includes('loadbalancer.server.port')),
    JSON.stringify(issues),
  );
});
