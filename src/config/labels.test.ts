import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { validateDynamicConfiguration } from './dynamic-validate.js';
import { envToTree, flagsToTree, labelsToTree, parseKeyPath, treeToLabels } from './labels.js';

describe('labels codec', () => {
  it('decodes labels under the prefix into a tree of strings, ignoring other labels', () => {
    const tree = labelsToTree(
      {
        'traefik.http.routers.api.rule': 'PathPrefix(`/api`)',
        'traefik.http.routers.api.middlewares': 'strip,auth',
        'traefik.http.services.api.loadbalancer.server.port': '3000',
        'com.docker.compose.service': 'api',
        traefik: 'not a path',
      },
      'traefik',
    );
    assert.deepEqual(tree, {
      http: {
        routers: { api: { rule: 'PathPrefix(`/api`)', middlewares: 'strip,auth' } },
        services: { api: { loadbalancer: { server: { port: '3000' } } } },
      },
    });
  });

  it('supports [N] list indices as Traefik does', () => {
    const tree = labelsToTree(
      {
        'switchyard.http.services.s.loadbalancer.servers[0].url': 'http://a',
        'switchyard.http.services.s.loadbalancer.servers[1].url': 'http://b',
      },
      'switchyard',
    );
    assert.deepEqual(tree, {
      http: { services: { s: { loadbalancer: { servers: [{ url: 'http://a' }, { url: 'http://b' }] } } } },
    });
    assert.deepEqual(parseKeyPath('a.b[0][2].c'), ['a', 'b', 0, 2, 'c']);
    assert.throws(() => parseKeyPath('a..b'), ConfigError);
  });

  it('round-trips labels through the tree', () => {
    const labels = {
      'traefik.http.routers.web.rule': 'Host(`example.com`)',
      'traefik.http.routers.web.entrypoints': 'web,websecure',
      'traefik.http.services.web.loadbalancer.servers[0].url': 'http://10.0.0.1:80',
      'traefik.http.services.web.loadbalancer.servers[1].url': 'http://10.0.0.2:80',
      'traefik.http.middlewares.strip.stripprefix.prefixes': '/api,/v1',
    };
    assert.deepEqual(treeToLabels(labelsToTree(labels, 'traefik'), 'traefik'), labels);
  });

  it('round-trips a tree of strings through labels, writing scalar lists as comma lists', () => {
    const tree = {
      http: {
        routers: { a: { rule: 'Path(`/`)', service: 's' } },
        services: { s: { weighted: { services: [{ name: 'x', weight: '1' }] } } },
      },
    };
    assert.deepEqual(labelsToTree(treeToLabels(tree, 'switchyard'), 'switchyard'), tree);
    assert.deepEqual(treeToLabels({ api: {}, entryPoints: ['a', 'b'], n: 3 }, 'p'), {
      'p.api': 'true',
      'p.entryPoints': 'a,b',
      'p.n': '3',
    });
  });

  it('lets a key set to true also have children (tls=true with tls.certresolver)', () => {
    const tree = labelsToTree(
      { 'traefik.http.routers.a.tls': 'true', 'traefik.http.routers.a.tls.certresolver': 'le' },
      'traefik',
    );
    assert.deepEqual(tree, { http: { routers: { a: { tls: { certresolver: 'le' } } } } });
  });

  it('rejects a value and a section on the same key, naming both keys', () => {
    assert.throws(
      () => labelsToTree({ 'traefik.a.b': '1', 'traefik.a.b.c': '2' }, 'traefik'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /"traefik\.a\.b"/);
        assert.match(error.message, /"traefik\.a\.b\.c"/);
        return true;
      },
    );
    assert.throws(() => flagsToTree(['--a.b.c=2', '--a.b=1']), /"--a\.b"[\s\S]*"--a\.b\.c"|"--a\.b\.c"[\s\S]*"--a\.b"/);
  });

  it('merges keys that differ only by case into the first spelling', () => {
    const { tree } = flagsToTree(['--entryPoints.web.address=:1', '--entrypoints.web.forwardedHeaders.insecure']);
    assert.deepEqual(tree, { entryPoints: { web: { address: ':1', forwardedHeaders: { insecure: 'true' } } } });
  });

  it('decodes flags, keeping positionals and refused flags in rest', () => {
    const decoded = flagsToTree(['serve', '--log.level', 'DEBUG', '--api', '--verbose', '-x', '--', '--not.a=flag'], {
      accept: (first) => first !== 'verbose',
      isSwitch: (path) => path[0] === 'api',
    });
    assert.deepEqual(decoded.tree, { log: { level: 'DEBUG' }, api: 'true' });
    assert.deepEqual(decoded.rest, ['serve', '--verbose', '-x', '--not.a=flag']);
    assert.equal(decoded.origins.get('log.level'), '--log.level');
  });

  it('decodes environment variables with underscores as separators and lower-case names', () => {
    const { tree, origins } = envToTree(
      { SWITCHYARD_ENTRYPOINTS_WEB_ADDRESS: ':8000', OTHER_X: '1', TRAEFIK_API: 'true' },
      'SWITCHYARD',
    );
    assert.deepEqual(tree, { entrypoints: { web: { address: ':8000' } } });
    assert.equal(origins.get('entrypoints.web.address'), 'SWITCHYARD_ENTRYPOINTS_WEB_ADDRESS');
  });

  it('feeds the dynamic schema: index keys become lists and key case is canonicalised', () => {
    const tree = labelsToTree(
      {
        'traefik.http.routers.api.Rule': 'Path(`/`)',
        'traefik.http.routers.api.EntryPoints': 'web',
        'traefik.http.services.api.loadbalancer.servers.0.url': 'http://a',
        'traefik.http.services.api.loadbalancer.passhostheader': 'false',
      },
      'traefik',
    );
    const { config, issues } = validateDynamicConfiguration(tree);
    assert.deepEqual(issues, []);
    assert.deepEqual(config.http?.routers?.api, { rule: 'Path(`/`)', entryPoints: ['web'] });
    assert.deepEqual(config.http?.services?.api?.loadBalancer, {
      servers: [{ url: 'http://a' }],
      passHostHeader: false,
    });
  });
});
