import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildMiddleware } from '../../middlewares/registry.js';
import type { MiddlewareBuildContext } from '../../middlewares/types.js';
import { buildLabelConfiguration } from './build-configuration.js';
import type { Workload } from './workload.js';

function workload(labels: Record<string, string>): Workload {
  return {
    id: 'id-app',
    kind: 'task',
    name: 'app',
    labels,
    running: true,
    health: 'none',
    address: { kind: 'networks', networks: { backend: '10.0.0.2' }, ports: [80] },
  };
}

const context = (name: string, warnings: string[] = []): MiddlewareBuildContext => ({
  name,
  resolve() {
    throw new Error('no chains here');
  },
  service: () => () => undefined,
  warn: (message) => warnings.push(message),
});

describe('the authentication and filtering middlewares from Docker labels', () => {
  // As a compose file writes them, `$$` already unescaped to `$` by compose.
  const labels = {
    'traefik.http.middlewares.auth.basicauth.users':
      'ann:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/,bob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=',
    'traefik.http.middlewares.auth.basicauth.realm': 'staff',
    'traefik.http.middlewares.auth.basicauth.removeheader': 'true',
    'traefik.http.middlewares.digest.digestauth.users': 'ann:traefik:0123456789abcdef0123456789abcdef',
    'traefik.http.middlewares.fa.forwardauth.address': 'http://auth:4181/verify',
    'traefik.http.middlewares.fa.forwardauth.authresponseheaders': 'X-Auth-User, X-Auth-Email',
    'traefik.http.middlewares.fa.forwardauth.trustforwardheader': 'true',
    'traefik.http.middlewares.fa.forwardauth.tls.insecureskipverify': 'true',
    'traefik.http.middlewares.allow.ipallowlist.sourcerange': '127.0.0.1/32, 10.0.0.0/8',
    'traefik.http.middlewares.allow.ipallowlist.ipstrategy.depth': '2',
    'traefik.http.middlewares.allow.ipallowlist.rejectstatuscode': '404',
    'traefik.http.middlewares.old.ipwhitelist.sourcerange': '10.0.0.0/8',
    'traefik.http.middlewares.old.ipwhitelist.ipstrategy': 'true',
    'traefik.http.middlewares.err.errors.status': '500-599,404',
    'traefik.http.middlewares.err.errors.service': 'pages',
    'traefik.http.middlewares.err.errors.query': '/{status}.html',
    'traefik.http.middlewares.err.errors.statusrewrites.418': '404',
    'traefik.http.middlewares.ct.contenttype': 'true',
  };

  test('decode to options every middleware builds from', () => {
    const result = buildLabelConfiguration([workload(labels)]);
    assert.deepEqual(result.issues, []);
    const middlewares = result.config.http?.middlewares ?? {};
    assert.deepEqual(Object.keys(middlewares).sort(), ['allow', 'auth', 'ct', 'digest', 'err', 'fa', 'old']);
    const warnings: string[] = [];
    for (const [name, config] of Object.entries(middlewares)) {
      const wrapper = buildMiddleware(name, config as Record<string, unknown>, context(name, warnings));
      assert.equal(typeof wrapper, 'function', name);
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /ipWhiteList is deprecated/);
  });

  test('lists written as indexed keys (as KV stores write them) build too', () => {
    const warnings: string[] = [];
    const options = {
      basicAuth: {
        users: { 1: 'bob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', 0: 'ann:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/' },
      },
    };
    assert.equal(typeof buildMiddleware('kv', options, context('kv', warnings)), 'function');
    const allow = {
      ipAllowList: { sourceRange: { 0: '10.0.0.0/8', 1: '127.0.0.1' }, ipStrategy: { excludedIPs: { 0: '10.0.0.1' } } },
    };
    assert.equal(typeof buildMiddleware('kv2', allow, context('kv2', warnings)), 'function');
    assert.deepEqual(warnings, []);
  });
});
