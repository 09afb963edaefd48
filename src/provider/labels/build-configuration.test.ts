import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildLabelConfiguration } from './build-configuration.js';
import type { Workload } from './workload.js';

/** A running workload with no health check on one network, exposing port 80 unless told otherwise. */
function workload(name: string, overrides: Partial<Workload> = {}): Workload {
  return {
    id: `id-${name}`,
    kind: 'task',
    name,
    labels: {},
    running: true,
    health: 'none',
    address: { kind: 'networks', networks: { backend: '10.0.0.2' }, ports: [80] },
    ...overrides,
  };
}

/** Replica `index` of group `project`/`service`, at 10.0.0.<index>. */
function replica(project: string, service: string, index: number, overrides: Partial<Workload> = {}): Workload {
  return workload(`${project}-${service}-${index}`, {
    group: { project, service },
    address: { kind: 'networks', networks: { backend: `10.0.0.${index}` }, ports: [8080] },
    ...overrides,
  });
}

const urls = (result: ReturnType<typeof buildLabelConfiguration>, service: string) =>
  result.config.http?.services?.[service]?.loadBalancer?.servers?.map((server) => server.url);

describe('the label translation over workloads', () => {
  test('router TLS labels: tls=true, certresolver, options and domains in Traefik key names', () => {
    const result = buildLabelConfiguration([
      workload('web', {
        labels: {
          'traefik.http.routers.web.rule': 'Host(`web.test`)',
          'traefik.http.routers.web.tls': 'true',
          'traefik.http.routers.web.tls.certresolver': 'le',
          'traefik.http.routers.web.tls.options': 'modern@file',
          'traefik.http.routers.web.tls.domains[0].main': 'web.test',
          'traefik.http.routers.web.tls.domains[0].sans': 'a.web.test,b.web.test',
        },
      }),
      workload('plain', { labels: { 'traefik.http.routers.plain.tls': 'false' } }),
    ]);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.config.http?.routers?.web?.tls, {
      certResolver: 'le',
      options: 'modern@file',
      domains: [{ main: 'web.test', sans: ['a.web.test', 'b.web.test'] }],
    });
    assert.equal(result.config.http?.routers?.plain?.tls, undefined);
  });

  test('a workload without labels gets a service and a router named after it, with the default rule', () => {
    const result = buildLabelConfiguration([workload('My_App.1')]);
    assert.deepEqual(result.issues, []);
    assert.equal(result.config.http?.routers?.['My-App-1']?.rule, 'Host(`My-App-1`)');
    assert.equal(result.config.http?.routers?.['My-App-1']?.service, 'My-App-1');
    assert.deepEqual(urls(result, 'My-App-1'), ['http://10.0.0.2:80']);
  });

  test('the replicas of one group merge into one service named <service>-<project> with one server each', () => {
    const result = buildLabelConfiguration([
      replica('shop', 'api', 3),
      replica('shop', 'api', 1),
      replica('shop', 'api', 2),
    ]);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(Object.keys(result.config.http?.services ?? {}), ['api-shop']);
    assert.deepEqual(urls(result, 'api-shop'), [
      'http://10.0.0.1:8080',
      'http://10.0.0.2:8080',
      'http://10.0.0.3:8080',
    ]);
    assert.equal(result.config.http?.routers?.['api-shop']?.rule, 'Host(`api-shop`)');
  });

  test('two workloads defining one router differently disable it with an error naming both', () => {
    const result = buildLabelConfiguration([
      workload('one', { labels: { 'traefik.http.routers.web.rule': 'Host(`a.test`)' } }),
      workload('two', { labels: { 'traefik.http.routers.web.rule': 'Host(`b.test`)' } }),
    ]);
    assert.equal(result.config.http?.routers?.web, undefined);
    const issue = result.issues.find((i) => i.path.join('.') === 'http.routers.web');
    assert.equal(issue?.severity, 'error');
    assert.match(issue!.message, /different configurations by tasks one, two/);
    // Their services do not conflict: each workload keeps its own.
    assert.deepEqual(urls(result, 'one'), ['http://10.0.0.2:80']);
  });

  test('enable=false hides a workload, and with exposedByDefault off only enable=true shows one', () => {
    const hidden = workload('hidden', { labels: { 'traefik.enable': 'false' } });
    const plain = workload('plain');
    const chosen = workload('chosen', { labels: { 'switchyard.enable': 'true' } });
    const byDefault = buildLabelConfiguration([hidden, plain, chosen]);
    assert.deepEqual(Object.keys(byDefault.config.http?.services ?? {}), ['chosen', 'plain']);
    const optIn = buildLabelConfiguration([hidden, plain, chosen], { exposedByDefault: false });
    assert.deepEqual(Object.keys(optIn.config.http?.services ?? {}), ['chosen']);
  });

  test('the port label overrides the lowest exposed port, but not the port a workload listens on', () => {
    const labels = { 'traefik.http.services.web.loadbalancer.server.port': '3000' };
    const exposed = workload('exposed', {
      labels,
      address: { kind: 'networks', networks: { backend: '10.0.0.9' }, ports: [80, 8080] },
    });
    assert.deepEqual(urls(buildLabelConfiguration([exposed]), 'web'), ['http://10.0.0.9:3000']);
    const listening = workload('listening', { labels, address: { kind: 'listen', host: '127.0.0.1', port: 41000 } });
    assert.deepEqual(urls(buildLabelConfiguration([listening]), 'web'), ['http://127.0.0.1:41000']);
  });

  test('an unhealthy or starting workload gets no traffic while a healthy replica of its group does', () => {
    const result = buildLabelConfiguration([
      replica('shop', 'api', 1, { health: 'healthy' }),
      replica('shop', 'api', 2, { health: 'unhealthy' }),
      replica('shop', 'api', 3, { health: 'starting' }),
    ]);
    assert.deepEqual(urls(result, 'api-shop'), ['http://10.0.0.1:8080']);
  });

  test('a group with no healthy replica is absent, unless allowEmptyServices keeps it with no servers', () => {
    const sick = [replica('shop', 'api', 1, { health: 'unhealthy' })];
    assert.deepEqual(buildLabelConfiguration(sick).config.http?.services, {});
    assert.deepEqual(urls(buildLabelConfiguration(sick, { allowEmptyServices: true }), 'api-shop'), []);
  });

  test('a workload that is not running, or is draining, contributes no server', () => {
    const stopped = replica('shop', 'api', 1, { running: false });
    const draining = replica('shop', 'api', 2);
    const serving = replica('shop', 'api', 3);
    const result = buildLabelConfiguration([stopped, draining, serving], { draining: new Set([draining.id]) });
    assert.deepEqual(urls(result, 'api-shop'), ['http://10.0.0.3:8080']);
  });

  test('a workload with no port to offer is dropped (no router, no service), with an error naming it', () => {
    const result = buildLabelConfiguration([
      workload('portless', { address: { kind: 'networks', networks: { backend: '10.0.0.2' }, ports: [] } }),
    ]);
    const issue = result.issues.find((i) => i.path.join('.') === 'http.services.portless');
    assert.equal(issue?.severity, 'error');
    assert.equal(issue?.location, 'task portless');
    assert.match(issue!.message, /exposes no TCP port/);
  });
});
