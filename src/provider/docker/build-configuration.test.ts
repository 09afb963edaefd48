import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { composeReplica, inspectFixture } from '../../../test/helpers/docker-fixtures.js';
import { ConfigError } from '../../errors.js';
import { buildDockerConfiguration } from './build-configuration.js';

const http = (result: ReturnType<typeof buildDockerConfiguration>) => result.config.http!;
const servers = (result: ReturnType<typeof buildDockerConfiguration>, service: string) =>
  http(result).services![service]?.loadBalancer?.servers?.map((s) => s.url);

describe('default router and service', () => {
  test('a plain container gets one service and one router named after it, with the default Host rule', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'my_web.1', ports: ['8080/tcp'], networks: { bridge: '172.17.0.5' } }),
    ]);
    assert.deepEqual(http(result).routers, { 'my-web-1': { rule: 'Host(`my-web-1`)', service: 'my-web-1' } });
    assert.deepEqual(http(result).services, {
      'my-web-1': { loadBalancer: { servers: [{ url: 'http://172.17.0.5:8080' }] } },
    });
    assert.deepEqual(result.issues, []);
  });

  test('the default rule template sees .Name, .ContainerName and .Labels', () => {
    const result = buildDockerConfiguration([composeReplica('shop', 'api', 1, { labels: { domain: 'example.com' } })], {
      defaultRule: 'Host(`{{ .Name }}.{{ index .Labels "domain" }}`) && Header(`X-C`, `{{ .ContainerName }}`)',
    });
    assert.equal(
      http(result).routers!['api-shop']!.rule,
      'Host(`api-shop.example.com`) && Header(`X-C`, `shop-api-1`)',
    );
  });

  test('an invalid default rule template is refused when the options are compiled', () => {
    assert.throws(() => buildDockerConfiguration([], { defaultRule: 'Host(`{{ nosuch .Name }}`)' }), ConfigError);
  });

  test('a router label without a rule gets the default rule and the only service', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'web', labels: { 'switchyard.http.routers.site.entrypoints': 'web' } }),
    ]);
    assert.deepEqual(http(result).routers, { site: { entryPoints: ['web'], rule: 'Host(`web`)', service: 'web' } });
  });

  test('a router that names no service while the container defines two is disabled with an error', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'web',
        labels: {
          'switchyard.http.routers.r.rule': 'Path(`/`)',
          'switchyard.http.services.a.loadbalancer.server.port': '80',
          'switchyard.http.services.b.loadbalancer.server.port': '81',
        },
      }),
    ]);
    assert.equal(http(result).routers!.r, undefined);
    assert.deepEqual(Object.keys(http(result).services!), ['a', 'b']);
    const issue = result.issues.find((i) => i.path.join('.') === 'http.routers.r');
    assert.equal(issue?.severity, 'error');
    assert.match(issue!.message, /names no service/);
  });
});

describe('exposure', () => {
  test('with exposedByDefault false only containers labelled enable=true are routed', () => {
    const result = buildDockerConfiguration(
      [
        inspectFixture({ name: 'hidden' }),
        inspectFixture({ name: 'shown', labels: { 'traefik.enable': 'true' } }),
        inspectFixture({ name: 'off', labels: { 'switchyard.enable': 'false' } }),
      ],
      { exposedByDefault: false },
    );
    assert.deepEqual(Object.keys(http(result).services!), ['shown']);
  });

  test('enable=false hides a container even when exposedByDefault is true', () => {
    const result = buildDockerConfiguration([inspectFixture({ name: 'off', labels: { 'traefik.enable': 'FALSE' } })]);
    assert.deepEqual(http(result).routers, {});
  });

  test('stopped containers are ignored', () => {
    const result = buildDockerConfiguration([inspectFixture({ name: 'gone', running: false })]);
    assert.deepEqual(http(result).services, {});
  });

  test('containers with a healthcheck are routed only once healthy', () => {
    const result = buildDockerConfiguration([
      composeReplica('p', 'api', 1, { health: 'healthy', networks: { bridge: '10.0.0.1' } }),
      composeReplica('p', 'api', 2, { health: 'starting', networks: { bridge: '10.0.0.2' } }),
      composeReplica('p', 'api', 3, { health: 'unhealthy', networks: { bridge: '10.0.0.3' } }),
    ]);
    assert.deepEqual(servers(result, 'api-p'), ['http://10.0.0.1:80']);
  });

  test('a draining container is left out although it still runs', () => {
    const dying = composeReplica('p', 'api', 2, { networks: { bridge: '10.0.0.2' } });
    const result = buildDockerConfiguration(
      [composeReplica('p', 'api', 1, { networks: { bridge: '10.0.0.1' } }), dying],
      { draining: new Set([dying.Id]) },
    );
    assert.deepEqual(servers(result, 'api-p'), ['http://10.0.0.1:80']);
  });

  test('with allowEmptyServices an unhealthy last replica leaves its service in place with no servers', () => {
    const result = buildDockerConfiguration([composeReplica('p', 'api', 1, { health: 'unhealthy' })], {
      allowEmptyServices: true,
    });
    assert.deepEqual(http(result).services, { 'api-p': { loadBalancer: { servers: [] } } });
    assert.equal(http(result).routers!['api-p']!.service, 'api-p');
  });

  test('constraints keep only containers whose labels match', () => {
    const containers = [
      inspectFixture({ name: 'a', labels: { env: 'prod', team: 'web' } }),
      inspectFixture({ name: 'b', labels: { env: 'prod', team: 'ops-db' } }),
      inspectFixture({ name: 'c', labels: { env: 'dev' } }),
    ];
    const result = buildDockerConfiguration(containers, {
      constraints: 'Label(`env`, `prod`) && !LabelRegex(`team`, `^ops-`)',
    });
    assert.deepEqual(Object.keys(http(result).services!), ['a']);
  });
});

describe('compose replicas', () => {
  test('replicas of one compose service merge into one service whose servers are the replicas', () => {
    const result = buildDockerConfiguration([
      composeReplica('lab', 'dynamic-server', 2, { ports: ['3000/tcp'], networks: { lab_default: '172.18.0.4' } }),
      composeReplica('lab', 'dynamic-server', 1, { ports: ['3000/tcp'], networks: { lab_default: '172.18.0.3' } }),
    ]);
    assert.deepEqual(http(result).routers, {
      'dynamic-server-lab': { rule: 'Host(`dynamic-server-lab`)', service: 'dynamic-server-lab' },
    });
    assert.deepEqual(servers(result, 'dynamic-server-lab'), ['http://172.18.0.3:3000', 'http://172.18.0.4:3000']);
    assert.deepEqual(result.issues, []);
  });

  test('replicas carrying the same router and middleware labels share them', () => {
    const labels = {
      'switchyard.http.routers.api.rule': 'PathPrefix(`/api`)',
      'switchyard.http.routers.api.middlewares': 'strip',
      'switchyard.http.middlewares.strip.stripprefix.prefixes': '/api',
      'switchyard.http.services.api.loadbalancer.server.port': '3000',
      'switchyard.http.services.api.loadbalancer.sticky.cookie.name': 'sy',
    };
    const result = buildDockerConfiguration([
      composeReplica('lab', 'api', 1, { labels, networks: { n: '10.1.0.1' } }),
      composeReplica('lab', 'api', 2, { labels, networks: { n: '10.1.0.2' } }),
    ]);
    assert.deepEqual(http(result).routers, {
      api: { rule: 'PathPrefix(`/api`)', middlewares: ['strip'], service: 'api' },
    });
    assert.deepEqual(http(result).middlewares, { strip: { stripPrefix: { prefixes: '/api' } } });
    assert.deepEqual(http(result).services!.api, {
      loadBalancer: {
        sticky: { cookie: { name: 'sy' } },
        servers: [{ url: 'http://10.1.0.1:3000' }, { url: 'http://10.1.0.2:3000' }],
      },
    });
  });
});

describe('conflicts', () => {
  test('two containers defining one router differently disable that router and name both, the rest works', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'one', labels: { 'traefik.http.routers.shared.rule': 'Path(`/one`)' } }),
      inspectFixture({ name: 'two', labels: { 'traefik.http.routers.shared.rule': 'Path(`/two`)' } }),
      inspectFixture({ name: 'three' }),
    ]);
    assert.deepEqual(Object.keys(http(result).routers!), ['three']);
    assert.deepEqual(Object.keys(http(result).services!), ['one', 'three', 'two']);
    assert.equal(result.issues.length, 1);
    const [issue] = result.issues;
    assert.deepEqual(issue!.path, ['http', 'routers', 'shared']);
    assert.equal(issue!.severity, 'error');
    assert.match(issue!.message, /containers one, two/);
  });

  test('replicas whose service options differ make that service a conflict', () => {
    const result = buildDockerConfiguration([
      composeReplica('p', 'api', 1, {
        labels: { 'switchyard.http.services.api-p.loadbalancer.passhostheader': 'true' },
      }),
      composeReplica('p', 'api', 2, {
        labels: { 'switchyard.http.services.api-p.loadbalancer.passhostheader': 'false' },
      }),
    ]);
    assert.equal(http(result).services!['api-p'], undefined);
    assert.deepEqual(
      result.issues.map((i) => i.path.join('.')),
      ['http.services.api-p'],
    );
  });
});

describe('server address', () => {
  test('the single exposed port is used, else the lowest, unless the port label says otherwise', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'single', ports: ['5000/tcp'], networks: { n: '10.0.0.1' } }),
      inspectFixture({
        name: 'multi',
        ports: ['9000/tcp', '53/udp', '443/tcp', '8080/tcp'],
        networks: { n: '10.0.0.2' },
      }),
      inspectFixture({
        name: 'labelled',
        ports: ['80/tcp', '9000/tcp'],
        networks: { n: '10.0.0.3' },
        labels: { 'switchyard.http.services.labelled.loadBalancer.server.port': '9000' },
      }),
    ]);
    assert.deepEqual(servers(result, 'single'), ['http://10.0.0.1:5000']);
    assert.deepEqual(servers(result, 'multi'), ['http://10.0.0.2:443']);
    assert.deepEqual(servers(result, 'labelled'), ['http://10.0.0.3:9000']);
  });

  test('the scheme label changes the server URL scheme', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'tls',
        ports: ['8443/tcp'],
        networks: { n: '10.0.0.9' },
        labels: { 'traefik.http.services.tls.loadbalancer.server.scheme': 'https' },
      }),
    ]);
    assert.deepEqual(servers(result, 'tls'), ['https://10.0.0.9:8443']);
  });

  test('a container with no port and no port label puts an error on its service and leaves the others alone', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'noport', ports: [] }),
      inspectFixture({ name: 'fine', networks: { n: '10.0.0.7' } }),
    ]);
    assert.deepEqual(servers(result, 'fine'), ['http://10.0.0.7:80']);
    const issue = result.issues.find((i) => i.path.join('.') === 'http.services.noport');
    assert.equal(issue?.severity, 'error');
    assert.match(issue!.message, /loadbalancer\.server\.port/);
    assert.equal(issue!.location, 'container noport');
  });

  test('the network option or the docker.network label chooses the IP; host mode uses the loopback', () => {
    const networks = { front: '172.20.0.2', back: '172.21.0.2' };
    const result = buildDockerConfiguration(
      [
        inspectFixture({ name: 'byoption', networks }),
        inspectFixture({ name: 'bylabel', networks, labels: { 'switchyard.docker.network': 'front' } }),
        inspectFixture({ name: 'onhost', networks: { host: '' }, networkMode: 'host', ports: ['7000/tcp'] }),
      ],
      { network: 'back' },
    );
    assert.deepEqual(servers(result, 'byoption'), ['http://172.21.0.2:80']);
    assert.deepEqual(servers(result, 'bylabel'), ['http://172.20.0.2:80']);
    assert.deepEqual(servers(result, 'onhost'), ['http://127.0.0.1:7000']);
  });

  test('a missing network falls back to the first network by name, with a warning', () => {
    const result = buildDockerConfiguration(
      [inspectFixture({ name: 'x', networks: { zeta: '10.9.0.1', alpha: '10.8.0.1' } })],
      { network: 'nope' },
    );
    assert.deepEqual(servers(result, 'x'), ['http://10.8.0.1:80']);
    assert.match(result.warnings.join('\n'), /not on network nope/);
  });

  test('useBindPortIP uses the host binding when it names a specific IP', () => {
    const result = buildDockerConfiguration(
      [inspectFixture({ name: 'b', bindings: { '80/tcp': { HostIp: '192.0.2.10', HostPort: '8081' } } })],
      { useBindPortIP: true },
    );
    assert.deepEqual(servers(result, 'b'), ['http://192.0.2.10:8081']);
  });
});

describe('labels', () => {
  test('keys are case-insensitive and middlewares attach to routers by name', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'api',
        labels: {
          'switchyard.http.routers.x.Rule': 'PathPrefix(`/api`)',
          'switchyard.http.routers.x.middlewares': 'strip, auth@file',
          'switchyard.http.middlewares.strip.stripprefix.prefixes': '/api',
          'switchyard.http.services.api.LoadBalancer.Server.Port': '3000',
        },
        networks: { n: '10.2.0.1' },
      }),
    ]);
    assert.deepEqual(http(result).routers!.x, {
      rule: 'PathPrefix(`/api`)',
      middlewares: ['strip', 'auth@file'],
      service: 'api',
    });
    assert.deepEqual(http(result).middlewares!.strip, { stripPrefix: { prefixes: '/api' } });
    assert.deepEqual(servers(result, 'api'), ['http://10.2.0.1:3000']);
  });

  test('when both prefixes are present the switchyard labels win and a warning says so', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'both',
        labels: {
          'traefik.http.routers.both.rule': 'Path(`/traefik`)',
          'switchyard.http.routers.both.rule': 'Path(`/switchyard`)',
        },
      }),
    ]);
    assert.equal(http(result).routers!.both!.rule, 'Path(`/switchyard`)');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /both switchyard\.\* and traefik\.\* labels/);
  });

  test('an invalid label value disables only its object, with an issue locating the container and label', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'bad',
        labels: {
          'switchyard.http.routers.broken.rule': 'Path(`/b`)',
          'switchyard.http.routers.broken.priority': 'high',
          'switchyard.http.routers.good.rule': 'Path(`/g`)',
        },
      }),
    ]);
    assert.deepEqual(Object.keys(http(result).routers!), ['good']);
    const issue = result.issues.find((i) => i.path.join('.') === 'http.routers.broken');
    assert.equal(issue?.location, 'container bad');
    assert.match(issue!.message, /priority.*label switchyard\.http\.routers\.broken\.priority/);
  });

  test('labels that cannot be decoded leave the container out with an error on its service', () => {
    const result = buildDockerConfiguration([
      inspectFixture({
        name: 'clash',
        labels: { 'switchyard.http.routers.a': 'x', 'switchyard.http.routers.a.rule': 'Path(`/`)' },
      }),
      inspectFixture({ name: 'ok' }),
    ]);
    assert.deepEqual(Object.keys(http(result).services!), ['ok']);
    assert.deepEqual(
      result.issues.map((i) => [i.path.join('.'), i.severity]),
      [['http.services.clash', 'error']],
    );
  });

  test('an unknown key is reported as a warning on its object, which still works', () => {
    const result = buildDockerConfiguration([
      inspectFixture({ name: 'typo', labels: { 'switchyard.http.routers.typo.rulez': 'Path(`/`)' } }),
    ]);
    const issue = result.issues.find((i) => i.path.slice(0, 3).join('.') === 'http.routers.typo');
    assert.equal(issue?.severity, 'warning');
    assert.match(issue!.message, /unknown key rulez/);
    assert.equal(http(result).routers!.typo!.rule, 'Host(`typo`)');
  });
});

test('the output does not depend on the order the daemon lists containers in', () => {
  const a = composeReplica('p', 'w', 1, { networks: { n: '10.0.0.1' } });
  const b = composeReplica('p', 'w', 2, { networks: { n: '10.0.0.2' } });
  const c = inspectFixture({ name: 'solo' });
  assert.equal(
    JSON.stringify(buildDockerConfiguration([a, b, c])),
    JSON.stringify(buildDockerConfiguration([c, b, a])),
  );
});
