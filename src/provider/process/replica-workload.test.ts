import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLabelConfiguration } from '../labels/build-configuration.js';
import { replicaWorkload } from './replica-workload.js';

test('replicas translate like Docker containers: one service, servers on 127.0.0.1 at their assigned ports', () => {
  const labels = {
    'switchyard.enable': 'true',
    'switchyard.http.routers.api.rule': 'PathPrefix(`/api`)',
    'switchyard.http.services.api.loadBalancer.server.port': '3000',
  };
  const workloads = [41001, 41002].map((port, i) =>
    replicaWorkload({ project: 'demo', service: 'dynamic-server', index: i + 1, port, labels }),
  );
  const { config, issues } = buildLabelConfiguration(workloads, { exposedByDefault: false });
  assert.deepEqual(issues, []);
  assert.deepEqual(config.http?.routers?.api?.rule, 'PathPrefix(`/api`)');
  assert.deepEqual(
    config.http?.services?.api?.loadBalancer?.servers?.map((s) => s.url),
    ['http://127.0.0.1:41001', 'http://127.0.0.1:41002'],
  );
});

test('without labels a replica gets Docker defaults: service <service>-<project> on its only port', () => {
  const workload = replicaWorkload({ project: 'demo', service: 'web', index: 1, port: 42000, labels: {} });
  const { config } = buildLabelConfiguration([workload]);
  assert.deepEqual(config.http?.services?.['web-demo']?.loadBalancer?.servers, [{ url: 'http://127.0.0.1:42000' }]);
  assert.equal(config.http?.routers?.['web-demo']?.rule, 'Host(`web-demo`)');
});

test('a scheme label still applies to the assigned port', () => {
  const labels = { 'traefik.http.services.web.loadbalancer.server.scheme': 'h2c' };
  const workload = replicaWorkload({ project: 'demo', service: 'web', index: 1, port: 42001, labels });
  const { config } = buildLabelConfiguration([workload]);
  assert.deepEqual(config.http?.services?.web?.loadBalancer?.servers, [{ url: 'h2c://127.0.0.1:42001' }]);
});

test('a replica carries the compose labels a container would, so a default rule reading them means the same', () => {
  const workload = replicaWorkload({ project: 'demo', service: 'web', index: 2, port: 42002, labels: {} });
  const { config } = buildLabelConfiguration([workload], {
    defaultRule: 'Host(`{{ index .Labels "com.docker.compose.service" }}.localhost`)',
  });
  assert.equal(config.http?.routers?.['web-demo']?.rule, 'Host(`web.localhost`)');
});
