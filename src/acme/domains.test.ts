import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsToTree } from '../config/labels.js';
import {
  canonicalDomain,
  DEFAULT_GENERATED_CERT,
  domainCovers,
  hostNamesOfRule,
  type RouterForAcme,
  wantedCertificates,
} from './domains.js';

const resolvers = new Set(['le', 'staging']);

function router(
  name: string,
  rule: string | undefined,
  tls?: unknown,
  extra: Partial<RouterForAcme['config']> = {},
): RouterForAcme {
  return { name, status: 'enabled', config: { rule, tls, ...extra } };
}

function sets(result: ReturnType<typeof wantedCertificates>) {
  return result.certificates.map((c) => ({
    resolver: c.resolver,
    names: [c.domain.main, ...c.domain.sans],
    wantedBy: c.wantedBy,
  }));
}

describe('wanted certificates', () => {
  it('every Host name of a router rule, in order, is one certificate for its resolver', () => {
    const result = wantedCertificates(
      [
        router('app@file', 'Host(`A.example.com`) || (Host(`b.example.com.`) && PathPrefix(`/x`))', {
          certResolver: 'le',
        }),
      ],
      {},
      resolvers,
    );
    assert.deepEqual(sets(result), [
      { resolver: 'le', names: ['a.example.com', 'b.example.com'], wantedBy: ['app@file'] },
    ]);
    assert.deepEqual(result.issues, []);
  });

  it('routers naming the same names in any order share one certificate; a subset is served by the larger set', () => {
    const result = wantedCertificates(
      [
        router('a@file', 'Host(`x.test`) || Host(`y.test`)', { certResolver: 'le' }),
        router('b@docker', 'Host(`y.test`) || Host(`x.test`)', { certresolver: 'le' }),
        router('c@file', 'Host(`x.test`)', { certResolver: 'le' }),
        router('d@file', 'Host(`x.test`)', { certResolver: 'staging' }),
      ],
      {},
      resolvers,
    );
    assert.deepEqual(sets(result), [
      { resolver: 'le', names: ['x.test', 'y.test'], wantedBy: ['a@file', 'b@docker', 'c@file'] },
      { resolver: 'staging', names: ['x.test'], wantedBy: ['d@file'] },
    ]);
  });

  it('tls.domains replace the rule: main and sans (arrays, labels-style indexed objects and comma lists)', () => {
    const result = wantedCertificates(
      [
        router('a@file', 'Host(`ignored.test`)', {
          certResolver: 'le',
          domains: [{ main: 'example.org', sans: ['*.example.org'] }],
        }),
        router('b@docker', 'Host(`ignored.test`)', {
          certresolver: 'le',
          domains: { 0: { main: 'other.org', sans: 'www.other.org, api.other.org' } },
        }),
      ],
      {},
      resolvers,
    );
    assert.deepEqual(
      sets(result).map((s) => s.names),
      [
        ['example.org', '*.example.org'],
        ['other.org', 'www.other.org', 'api.other.org'],
      ],
    );
  });

  it("an entry point's http.tls.certResolver applies to the routers on it without tls of their own", () => {
    const entryPoints = { websecure: { http: { tls: { certResolver: 'le' } } }, web: { http: {} } };
    const result = wantedCertificates(
      [
        router('on@file', 'Host(`on.test`)', undefined, { entryPoints: ['websecure'] }),
        router('off@file', 'Host(`off.test`)', undefined, { entryPoints: ['web'] }),
        router('all@file', 'Host(`all.test`)'),
        router('own@file', 'Host(`own.test`)', { options: 'modern' }, { entryPoints: ['websecure'] }),
      ],
      entryPoints,
      resolvers,
    );
    assert.deepEqual(
      sets(result).map((s) => s.names),
      [['on.test'], ['all.test']],
    );
  });

  it('reports an unknown resolver, a rule without Host, "*.*" wildcards; skips disabled routers and negated hosts', () => {
    const result = wantedCertificates(
      [
        router('a@file', 'Host(`a.test`)', { certResolver: 'nope' }),
        router('b@file', 'PathPrefix(`/`)', { certResolver: 'le' }),
        router('c@file', 'Host(`c.test`)', { certResolver: 'le', domains: [{ main: '*.*.test' }] }),
        { name: 'd@file', status: 'disabled', config: { rule: 'Host(`d.test`)', tls: { certResolver: 'le' } } },
        router('e@file', 'Host(`e.test`) && !Host(`not.e.test`)', { certResolver: 'le' }),
      ],
      {},
      resolvers,
    );
    assert.deepEqual(
      result.issues.map((i) => i.router),
      ['a@file', 'b@file', 'c@file'],
    );
    assert.match(result.issues[0]!.message, /unknown certificate resolver "nope"/);
    assert.match(result.issues[2]!.message, /\*\.\*/);
    assert.deepEqual(
      sets(result).map((s) => s.names),
      [['e.test']],
    );
  });

  it('Docker labels traefik.http.routers.<r>.tls.certresolver and tls.domains[n].main/sans, as the label tree gives them', () => {
    const tree = labelsToTree(
      {
        'traefik.http.routers.web.rule': 'Host(`web.test`)',
        'traefik.http.routers.web.tls.certresolver': 'le',
        'traefik.http.routers.api.rule': 'Host(`api.test`)',
        'traefik.http.routers.api.tls.certresolver': 'le',
        'traefik.http.routers.api.tls.domains[0].main': 'api.test',
        'traefik.http.routers.api.tls.domains[0].sans': 'v1.api.test,v2.api.test',
      },
      'traefik',
    ) as { http: { routers: Record<string, RouterForAcme['config']> } };
    const routers = Object.entries(tree.http.routers).map(([name, config]) => ({ name: `${name}@docker`, config }));
    assert.deepEqual(
      sets(wantedCertificates(routers, {}, resolvers))
        .map((s) => s.names)
        .sort(),
      [['api.test', 'v1.api.test', 'v2.api.test'], ['web.test']],
    );
  });

  it('TCP routers: tls.certResolver orders the HostSNI names of the rule (not *), or tls.domains; no entry-point default', () => {
    const result = wantedCertificates([], { websecure: { http: { tls: { certResolver: 'le' } } } }, resolvers, {
      tcpRouters: [
        router('db@file', 'HostSNI(`DB.test`) || (HostSNI(`*`) && ClientIP(`10.0.0.0/8`))', { certResolver: 'le' }),
        router('named@file', 'HostSNI(`*`)', {
          certResolver: 'staging',
          domains: [{ main: 'n.test', sans: ['m.test'] }],
        }),
        router('any@file', 'HostSNI(`*`)', { certResolver: 'le' }),
        router('plain@file', 'HostSNI(`p.test`)', undefined),
        router('other@file', 'HostSNI(`o.test`)', { certResolver: 'missing' }),
      ],
    });
    assert.deepEqual(sets(result), [
      { resolver: 'le', names: ['db.test'], wantedBy: ['db@file'] },
      { resolver: 'staging', names: ['n.test', 'm.test'], wantedBy: ['named@file'] },
    ]);
    assert.deepEqual(
      result.issues.map((i) => [i.router, i.kind, i.message]),
      [
        [
          'any@file',
          'tcp',
          'certificate resolver "le" needs a HostSNI(…) name other than * in the rule or tls.domains',
        ],
        ['other@file', 'tcp', 'unknown certificate resolver "missing"'],
      ],
    );
  });

  it('tls.stores.default.defaultGeneratedCert asks its resolver for its domain, shared with a router asking the same', () => {
    const result = wantedCertificates(
      [router('app@file', 'Host(`d.test`) || Host(`e.test`)', { certResolver: 'le' })],
      {},
      resolvers,
      {
        defaultGeneratedCert: { resolver: 'le', domain: { main: 'E.test', sans: ['d.test'] } },
      },
    );
    assert.deepEqual(sets(result), [
      { resolver: 'le', names: ['d.test', 'e.test'], wantedBy: ['app@file', DEFAULT_GENERATED_CERT] },
    ]);
    // An unknown resolver is the TLS build's error (on the store): nothing is asked here.
    const unknown = wantedCertificates([], {}, resolvers, {
      defaultGeneratedCert: { resolver: 'x', domain: { main: 'd.test' } },
    });
    assert.deepEqual(unknown, { certificates: [], issues: [] });
  });

  it('names: canonical form and wildcard cover', () => {
    assert.equal(canonicalDomain(' Example.COM. '), 'example.com');
    assert.equal(canonicalDomain('*'), undefined);
    assert.equal(canonicalDomain('a.*.com'), undefined);
    assert.equal(domainCovers('*.example.com', 'www.example.com'), true);
    assert.equal(domainCovers('*.example.com', 'a.b.example.com'), false);
    assert.equal(domainCovers('*.example.com', 'example.com'), false);
    assert.deepEqual(hostNamesOfRule('Host(`a`) || HostRegexp(`b`) || Host(`c`)'), ['a', 'c']);
  });
});
