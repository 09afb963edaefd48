import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDynamicConfiguration } from '../../config/dynamic-validate.js';
import { decodeKvPairs } from './kv-decode.js';

const pairs = (entries: Record<string, string>) => new Map(Object.entries(entries));

test("Traefik's key layout decodes into the dynamic configuration (lists of scalars and of objects)", () => {
  const { tree, issues } = decodeKvPairs(
    pairs({
      'traefik/http/routers/api/rule': 'Host(`a.test`)',
      'traefik/http/routers/api/entrypoints/0': 'web',
      'traefik/http/routers/api/entrypoints/1': 'websecure',
      'traefik/http/routers/api/middlewares/0': 'strip',
      'traefik/http/routers/api/service': 'app',
      'traefik/http/services/app/loadbalancer/servers/0/url': 'http://10.0.0.1:80',
      'traefik/http/services/app/loadbalancer/servers/1/url': 'http://10.0.0.2:80',
      'traefik/http/middlewares/strip/stripprefix/prefixes/0': '/api',
    }),
    'traefik',
    'redis 127.0.0.1:6379',
  );
  assert.deepEqual(issues, []);
  const { config, issues: invalid } = validateDynamicConfiguration(tree);
  assert.deepEqual(invalid, []);
  const router = config.http?.routers?.api;
  assert.deepEqual(router?.entryPoints, ['web', 'websecure']);
  assert.deepEqual(router?.middlewares, ['strip']);
  assert.equal(router?.rule, 'Host(`a.test`)');
  assert.deepEqual(
    config.http?.services?.app?.loadBalancer?.servers?.map((s) => s.url),
    ['http://10.0.0.1:80', 'http://10.0.0.2:80'],
  );
  // Middleware options stay as the label codec gives them (a comma list); the middleware's own
  // schema reads them when it is built, exactly as for Docker labels.
  assert.deepEqual(config.http?.middlewares?.strip, { stripprefix: { prefixes: '/api' } });
});

test('list items are taken in numeric order (10 after 9), not string order', () => {
  const entries: Record<string, string> = {};
  for (let i = 0; i < 12; i++) entries[`traefik/http/services/s/loadbalancer/servers/${i}/url`] = `http://h${i}:80`;
  const { tree } = decodeKvPairs(pairs(entries), 'traefik', 'etcd');
  const { config } = validateDynamicConfiguration(tree);
  assert.deepEqual(
    config.http?.services?.s?.loadBalancer?.servers?.map((s) => s.url),
    Array.from({ length: 12 }, (_, i) => `http://h${i}:80`),
  );
});

test('keys that cannot be read are named in warnings; the rest loads', () => {
  const { tree, issues } = decodeKvPairs(
    pairs({
      'traefik/http/routers/ok/rule': 'Path(`/`)',
      'traefik/http/routers/ok/service': 's',
      'other/http/routers/x/rule': 'Path(`/x`)',
      'traefik/http//routers/y/rule': 'Path(`/y`)',
      'traefik/http/routers/a.b/rule': 'Path(`/z`)',
    }),
    'traefik',
    'redis 127.0.0.1:6379',
  );
  assert.equal(issues.length, 3);
  assert.ok(issues.every((i) => i.severity === 'warning' && i.location?.startsWith('redis 127.0.0.1:6379 key ')));
  assert.deepEqual(Object.keys((tree.http as { routers: object }).routers), ['ok']);
});

test('a value where another key needs a section is an error naming both keys', () => {
  assert.throws(
    () =>
      decodeKvPairs(
        pairs({ 'traefik/http/routers/r': 'x', 'traefik/http/routers/r/rule': 'Path(`/`)' }),
        'traefik',
        'etcd',
      ),
    (error: Error) =>
      error.message.includes('traefik/http/routers/r') && error.message.includes('traefik/http/routers/r/rule'),
  );
});
