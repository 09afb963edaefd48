/**
 * The label translation against the expected results of Traefik's own Docker provider tests
 * (pkg/provider/docker/config_test.go, case names quoted): workloads on the `bridge` network at
 * 127.0.0.x exposing port 80, as there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildLabelConfiguration } from './build-configuration.js';
import type { Workload } from './workload.js';

function container(name: string, labels: Record<string, string>, ip = '127.0.0.1', ports = [80]): Workload {
  return {
    id: `id-${name}-${ip}`,
    kind: 'container',
    name,
    labels,
    running: true,
    health: 'none',
    address: { kind: 'networks', networks: { bridge: ip }, ports },
  };
}

const http = (result: ReturnType<typeof buildLabelConfiguration>) => result.config.http ?? {};
const names = (objects: Record<string, unknown> | undefined) => Object.keys(objects ?? {}).sort();
const urls = (result: ReturnType<typeof buildLabelConfiguration>, service: string) =>
  http(result).services?.[service]?.loadBalancer?.servers?.map((s) => s.url);
const errors = (result: ReturnType<typeof buildLabelConfiguration>) =>
  result.issues.filter((i) => i.severity === 'error').map((i) => `${i.path.join('.')}: ${i.message}`);

describe("Traefik's Docker provider cases", () => {
  test('"invalid rule": a default rule reading an unknown field gives no router; the service stays', () => {
    const result = buildLabelConfiguration([container('Test', {})], { defaultRule: 'Host("{{ .Toto }}")' });
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(urls(result, 'Test'), ['http://127.0.0.1:80']);
    assert.match(
      errors(result).join('\n'),
      /http\.routers\.Test: the default rule cannot be rendered: .*can't evaluate field Toto/,
    );
  });

  test('"undefined rule": an empty default rule gives no router; the service stays', () => {
    const result = buildLabelConfiguration([container('Test', {})], { defaultRule: '' });
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(urls(result, 'Test'), ['http://127.0.0.1:80']);
  });

  test('"invalid HTTP service definition": the container is dropped, with an error', () => {
    const result = buildLabelConfiguration([container('Test', { 'traefik.http.services.test': '' })]);
    assert.deepEqual([names(http(result).routers), names(http(result).services)], [[], []]);
    assert.equal(errors(result).length, 1, errors(result).join('\n'));
  });

  test('"one container with label url and port": the container is dropped, with an error', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.http.services.Service1.LoadBalancer.server.url': 'http://1.2.3.4:5678',
        'traefik.http.services.Service1.LoadBalancer.server.port': '1234',
      }),
    ]);
    assert.deepEqual([names(http(result).routers), names(http(result).services)], [[], []]);
    assert.match(errors(result).join('\n'), /url.*port|port.*url/);
  });

  test('"one container without port" (with a middleware too): the container is dropped, with an error', () => {
    const sets: Record<string, string>[] = [{}, { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' }];
    for (const labels of sets) {
      const result = buildLabelConfiguration([container('Test', labels, '127.0.0.1', [])]);
      const h = http(result);
      assert.deepEqual([names(h.routers), names(h.services), names(h.middlewares)], [[], [], []]);
      assert.match(errors(result).join('\n'), /port/);
    }
  });

  test('"one container with rule label and two services": both services, no router', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.http.routers.Router1.rule': 'Host(`foo.com`)',
        'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        'traefik.http.services.Service2.loadbalancer.passhostheader': 'true',
      }),
    ]);
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(names(http(result).services), ['Service1', 'Service2']);
  });

  test('"one container with labels" defining two services and no router: both services, no router', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.http.services.Service1.LoadBalancer.server.port': '',
        'traefik.http.services.Service2.LoadBalancer.server.port': '8080',
      }),
    ]);
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(urls(result, 'Service1'), ['http://127.0.0.1:80']);
    assert.deepEqual(urls(result, 'Service2'), ['http://127.0.0.1:8080']);
  });

  test('"two containers with two different routers with same name": the router is dropped, the service merged', () => {
    const result = buildLabelConfiguration([
      container('Test', { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' }, '127.0.0.1'),
      container('Test', { 'traefik.http.routers.Router1.rule': 'Host(`bar.com`)' }, '127.0.0.2'),
    ]);
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(urls(result, 'Test')?.sort(), ['http://127.0.0.1:80', 'http://127.0.0.2:80']);
  });

  test('"two containers with two identical router rules and different service names": the router is dropped as conflicting', () => {
    const one = {
      ...container('Test', { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' }),
      group: { project: 'p', service: 'Test' },
    };
    const two = {
      ...container('Test2', { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' }, '127.0.0.2'),
      group: { project: 'p', service: 'Test2' },
    };
    const result = buildLabelConfiguration([one, two]);
    assert.deepEqual(names(http(result).routers), []);
    assert.deepEqual(names(http(result).services), ['Test-p', 'Test2-p']);
    assert.match(errors(result).join('\n'), /Router1/);
  });

  test("labels Switchyard does not read are warnings naming the label, on the container's service", () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.docker.allownonrunning': 'true',
        'traefik.tls.stores.default.defaultgeneratedcert.resolver': 'le',
      }),
    ]);
    const warnings = result.issues.filter((i) => i.severity === 'warning');
    assert.deepEqual(
      warnings.map((i) => [i.path.join('.'), i.message]),
      [
        [
          'http.services.Test',
          'the label traefik.docker.allownonrunning is not implemented, ignored (label traefik.docker.allownonrunning)',
        ],
        [
          'http.services.Test',
          'tls labels are not implemented yet, ignored (label traefik.tls.stores.default.defaultgeneratedcert.resolver)',
        ],
      ],
    );
  });
});
