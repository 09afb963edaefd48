/**
 * `traefik.tcp.*` and `traefik.udp.*` labels, with the expected results of Traefik's Docker
 * provider (pkg/provider/docker/config.go and config_test.go; case names quoted where they are
 * Traefik's): workloads on the `bridge` network at 127.0.0.x exposing port 80.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverUrls } from '../server-urls.js';
import { buildLabelConfiguration } from './build-configuration.js';
import type { Workload } from './workload.js';

function container(
  name: string,
  labels: Record<string, string>,
  options: { ip?: string; ports?: number[]; health?: Workload['health'] } = {},
): Workload {
  const ip = options.ip ?? '127.0.0.1';
  return {
    id: `id-${name}-${ip}`,
    kind: 'container',
    name,
    labels,
    running: true,
    health: options.health ?? 'none',
    address: { kind: 'networks', networks: { bridge: ip }, ports: options.ports ?? [80] },
  };
}

type Result = ReturnType<typeof buildLabelConfiguration>;
const tcp = (result: Result) => (result.config.tcp ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
const udp = (result: Result) => (result.config.udp ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
const names = (objects: Record<string, unknown> | undefined) => Object.keys(objects ?? {}).sort();
const errors = (result: Result) =>
  result.issues.filter((i) => i.severity === 'error').map((i) => `${i.path.join('.')}: ${i.message}`);

describe('TCP and UDP labels', () => {
  test('"tcp with label": tls=true, the service named after the container, its IP and only port', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
        'traefik.tcp.routers.foo.tls': 'true',
      }),
    ]);
    assert.deepEqual(tcp(result).routers, { foo: { rule: 'HostSNI(`foo.bar`)', tls: {}, service: 'Test' } });
    assert.deepEqual(tcp(result).services, { Test: { loadBalancer: { servers: [{ address: '127.0.0.1:80' }] } } });
    // TCP labels and no HTTP ones: no default HTTP router or service.
    assert.deepEqual(names(result.config.http?.routers), []);
    assert.deepEqual(names(result.config.http?.services), []);
    assert.deepEqual(errors(result), []);
  });

  test('"tcp with label and port": tls.options, the service label names the port', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
        'traefik.tcp.routers.foo.tls.options': 'foo',
        'traefik.tcp.services.foo.loadbalancer.server.port': '8080',
      }),
    ]);
    assert.deepEqual(tcp(result).routers, {
      foo: { rule: 'HostSNI(`foo.bar`)', tls: { options: 'foo' }, service: 'foo' },
    });
    assert.deepEqual(tcp(result).services, { foo: { loadBalancer: { servers: [{ address: '127.0.0.1:8080' }] } } });
  });

  test('"tcp with label without rule": the router is left out with an error, the service stays', () => {
    const result = buildLabelConfiguration([container('Test', { 'traefik.tcp.routers.foo.tls': 'true' })]);
    assert.deepEqual(names(tcp(result).routers), []);
    assert.deepEqual(names(tcp(result).services), ['Test']);
    assert.match(errors(result).join('\n'), /tcp\.routers\.foo: the TCP router has no rule/);
  });

  test('"Middlewares used in TCP router": ipallowlist.sourcerange, case-insensitive keys', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.Test.rule': 'HostSNI(`foo.bar`)',
        'traefik.tcp.middlewares.Middleware1.ipallowlist.sourcerange': 'foobar, fiibar',
        'traefik.tcp.routers.Test.middlewares': 'Middleware1',
        'traefik.tcp.middlewares.limit.inflightconn.amount': '10',
      }),
    ]);
    assert.deepEqual(tcp(result).routers?.Test, {
      rule: 'HostSNI(`foo.bar`)',
      middlewares: 'Middleware1',
      service: 'Test',
    });
    assert.deepEqual(tcp(result).middlewares, {
      Middleware1: { ipAllowList: { sourceRange: 'foobar, fiibar' } },
      limit: { inFlightConn: { amount: '10' } },
    });
  });

  test('every TCP router and service key of the label reference, in label spelling', () => {
    const result = buildLabelConfiguration([
      container('db', {
        'traefik.tcp.routers.pg.rule': 'HostSNI(`db.test`)',
        'traefik.tcp.routers.pg.entrypoints': 'pg,other',
        'traefik.tcp.routers.pg.service': 'pg',
        'traefik.tcp.routers.pg.priority': '42',
        'traefik.tcp.routers.pg.tls.passthrough': 'false',
        'traefik.tcp.routers.pg.tls.certresolver': 'le',
        'traefik.tcp.routers.pg.tls.domains[0].main': 'db.test',
        'traefik.tcp.routers.pg.tls.domains[0].sans': 'a.db.test,b.db.test',
        'traefik.tcp.services.pg.loadbalancer.server.port': '5432',
        'traefik.tcp.services.pg.loadbalancer.server.tls': 'true',
        'traefik.tcp.services.pg.loadbalancer.proxyprotocol.version': '2',
        'traefik.tcp.services.pg.loadbalancer.serverstransport': 'slow@file',
        'traefik.tcp.services.pg.loadbalancer.terminationdelay': '200',
      }),
    ]);
    assert.deepEqual(tcp(result).routers?.pg, {
      rule: 'HostSNI(`db.test`)',
      entryPoints: 'pg,other',
      service: 'pg',
      priority: '42',
      tls: { passthrough: 'false', certResolver: 'le', domains: [{ main: 'db.test', sans: 'a.db.test,b.db.test' }] },
    });
    assert.deepEqual(tcp(result).services?.pg, {
      loadBalancer: {
        proxyProtocol: { version: '2' },
        serversTransport: 'slow@file',
        terminationDelay: '200',
        servers: [{ address: '127.0.0.1:5432', tls: true }],
      },
    });
    assert.deepEqual(
      result.issues.filter((i) => i.path[0] === 'tcp'),
      [],
    );
  });

  test('the switchyard. prefix reads the same labels', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'switchyard.tcp.routers.foo.rule': 'HostSNI(`*`)',
        'switchyard.udp.routers.dns.entrypoints': 'dns',
      }),
    ]);
    assert.deepEqual(tcp(result).routers?.foo, { rule: 'HostSNI(`*`)', service: 'Test' });
    assert.deepEqual(udp(result).routers?.dns, { entryPoints: 'dns', service: 'Test' });
  });

  test('"udp with label" and "udp with label and port": the router takes the only UDP service', () => {
    const byContainer = buildLabelConfiguration([
      container('Test', { 'traefik.udp.routers.foo.entrypoints': 'mydns' }),
    ]);
    assert.deepEqual(udp(byContainer).routers, { foo: { entryPoints: 'mydns', service: 'Test' } });
    assert.deepEqual(udp(byContainer).services, { Test: { loadBalancer: { servers: [{ address: '127.0.0.1:80' }] } } });
    const byLabel = buildLabelConfiguration([
      container('Test', {
        'traefik.udp.routers.foo.entrypoints': 'mydns',
        'traefik.udp.services.foo.loadbalancer.server.port': '8080',
      }),
    ]);
    assert.deepEqual(udp(byLabel).routers, { foo: { entryPoints: 'mydns', service: 'foo' } });
    assert.deepEqual(udp(byLabel).services, { foo: { loadBalancer: { servers: [{ address: '127.0.0.1:8080' }] } } });
    assert.equal(result(byLabel), undefined);
    function result(r: Result) {
      return r.config.tcp;
    }
  });

  test('"udp with label and port and http service": replicas merge their UDP servers; HTTP is built as well', () => {
    const labels = {
      'traefik.udp.routers.foo.entrypoints': 'mydns',
      'traefik.udp.services.foo.loadbalancer.server.port': '8080',
      'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
    };
    const result = buildLabelConfiguration([
      container('Test', labels, { ip: '127.0.0.1' }),
      container('Test', labels, { ip: '127.0.0.2' }),
    ]);
    assert.deepEqual(udp(result).services?.foo, {
      loadBalancer: { servers: [{ address: '127.0.0.1:8080' }, { address: '127.0.0.2:8080' }] },
    });
    assert.deepEqual(names(result.config.http?.routers), ['Test']);
    assert.equal(result.config.http?.routers?.Test?.service, 'Service1');
    assert.deepEqual(
      result.config.http?.services?.Service1?.loadBalancer?.servers?.map((s) => s.url),
      ['http://127.0.0.1:80', 'http://127.0.0.2:80'],
    );
  });

  test('"udp with label for tcp service" and the TCP twin: a service without router', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.udp.services.foo.loadbalancer.server.port': '8080',
        'traefik.tcp.services.bar.loadbalancer.server.port': '9090',
      }),
    ]);
    assert.deepEqual(names(udp(result).routers), []);
    assert.deepEqual(udp(result).services?.foo, { loadBalancer: { servers: [{ address: '127.0.0.1:8080' }] } });
    assert.deepEqual(tcp(result).services?.bar, { loadBalancer: { servers: [{ address: '127.0.0.1:9090' }] } });
    assert.deepEqual(names(result.config.http?.routers), []);
  });

  test('"invalid TCP service definition" / "invalid UDP service definition": the container is dropped', () => {
    for (const label of ['traefik.tcp.services.test', 'traefik.udp.services.test']) {
      const result = buildLabelConfiguration([container('Test', { [label]: '' })]);
      assert.equal(result.config.tcp, undefined);
      assert.equal(result.config.udp, undefined);
      assert.deepEqual(names(result.config.http?.routers), []);
      assert.deepEqual(names(result.config.http?.services), []);
      assert.equal(errors(result).length, 1, errors(result).join('\n'));
    }
  });

  test('"one unhealthy TCP container": nothing; with allowEmptyServices the router and an empty service', () => {
    const labels = { 'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)' };
    const none = buildLabelConfiguration([container('Test', labels, { health: 'unhealthy' })]);
    assert.equal(none.config.tcp, undefined);
    const empty = buildLabelConfiguration([container('Test', labels, { health: 'unhealthy' })], {
      allowEmptyServices: true,
    });
    assert.deepEqual(tcp(empty).routers, { foo: { rule: 'HostSNI(`foo.bar`)', service: 'Test' } });
    assert.deepEqual(tcp(empty).services, { Test: { loadBalancer: { servers: [] } } });
  });

  test('a router without service among several services is left out with an error naming them', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.r.rule': 'HostSNI(`*`)',
        'traefik.tcp.services.a.loadbalancer.server.port': '1',
        'traefik.tcp.services.b.loadbalancer.server.port': '2',
      }),
    ]);
    assert.deepEqual(names(tcp(result).routers), []);
    assert.deepEqual(names(tcp(result).services), ['a', 'b']);
    assert.match(errors(result).join('\n'), /tcp\.routers\.r: the router names no service .* 2 TCP services/);
  });

  test('no port to use drops the whole workload (its HTTP objects too), with an error', () => {
    const result = buildLabelConfiguration([
      container(
        'Test',
        { 'traefik.tcp.routers.r.rule': 'HostSNI(`*`)', 'traefik.http.routers.web.rule': 'Host(`a`)' },
        { ports: [] },
      ),
    ]);
    assert.equal(result.config.tcp, undefined);
    assert.deepEqual(names(result.config.http?.routers), []);
    assert.match(errors(result).join('\n'), /tcp\.services\.Test: .*exposes no TCP port/);
  });

  test('a bad server label drops the workload; an unknown key is a warning on its object', () => {
    const bad = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.r.rule': 'HostSNI(`*`)',
        'traefik.tcp.services.s.loadbalancer.server.port': 'eighty',
      }),
    ]);
    assert.equal(bad.config.tcp, undefined);
    assert.match(errors(bad).join('\n'), /tcp\.services\.s: loadBalancer\.server\.port must be a port number/);
    const unknown = buildLabelConfiguration([
      container('Test', { 'traefik.tcp.routers.r.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.r.colour': 'blue' }),
    ]);
    assert.deepEqual(names(tcp(unknown).routers), ['r']);
    const warning = unknown.issues.find((i) => i.severity === 'warning');
    assert.deepEqual(warning?.path, ['tcp', 'routers', 'r', 'colour']);
    assert.match(warning?.message ?? '', /unknown key colour is ignored \(label traefik\.tcp\.routers\.r\.colour\)/);
  });

  test('two replicas defining one TCP router differently: the router is disabled, naming both', () => {
    const result = buildLabelConfiguration([
      container('one', { 'traefik.tcp.routers.r.rule': 'HostSNI(`*`)', 'traefik.tcp.routers.r.service': 's' }),
      container('two', { 'traefik.tcp.routers.r.rule': 'HostSNI(`x`)', 'traefik.tcp.routers.r.service': 's' }),
    ]);
    assert.deepEqual(names(tcp(result).routers), []);
    assert.match(
      errors(result).join('\n'),
      /tcp\.routers\.r: TCP router "r" is defined with different configurations by containers one, two/,
    );
  });

  test('an invalid TCP middleware is an error on that middleware; the router stays', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.r.rule': 'HostSNI(`*`)',
        'traefik.tcp.middlewares.m.inflightconn.amount': 'many',
      }),
    ]);
    assert.deepEqual(names(tcp(result).routers), ['r']);
    assert.deepEqual(names(tcp(result).middlewares), []);
    assert.match(
      errors(result).join('\n'),
      /tcp\.middlewares\.m: inFlightConn\.amount: .*label traefik\.tcp\.middlewares\.m\.inflightconn\.amount/,
    );
  });

  test('the drain keys a provider announces include its TCP and UDP servers (tcp://, udp://)', () => {
    const result = buildLabelConfiguration([
      container('Test', {
        'traefik.tcp.routers.r.rule': 'HostSNI(`*`)',
        'traefik.udp.routers.u.entrypoints': 'dns',
        'traefik.http.routers.web.rule': 'Host(`a`)',
      }),
    ]);
    assert.deepEqual([...serverUrls(result.config)].sort(), [
      'http://127.0.0.1:80',
      'tcp://127.0.0.1:80',
      'udp://127.0.0.1:80',
    ]);
  });

  test('a UDP service without a port label takes the lowest port of any protocol (a DNS container exposing 53/udp)', () => {
    const dns: Workload = {
      ...container('dns', { 'traefik.udp.routers.dns.entrypoints': 'dns' }, { ports: [8080] }),
    };
    if (dns.address.kind === 'networks') dns.address.udpPorts = [53];
    const result = buildLabelConfiguration([dns]);
    assert.deepEqual(udp(result).services?.dns, { loadBalancer: { servers: [{ address: '127.0.0.1:53' }] } });
    const udpOnly = container('resolver', { 'traefik.udp.routers.r.entrypoints': 'dns' }, { ports: [] });
    if (udpOnly.address.kind === 'networks') udpOnly.address.udpPorts = [5353];
    assert.deepEqual(udp(buildLabelConfiguration([udpOnly])).services?.resolver, {
      loadBalancer: { servers: [{ address: '127.0.0.1:5353' }] },
    });
  });
});
