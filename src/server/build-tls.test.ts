import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import { validateDynamicConfiguration } from '../config/dynamic-validate.js';
import { DEFAULT_TRANSPORT, TransportPool } from '../proxy/transport.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { buildRoutingTable } from './build-table.js';
import { mergeSnapshots } from './merge.js';

/** Validates, merges and builds `raw` as the file provider's configuration. */
function build(raw: unknown, certResolvers: ReadonlySet<string> = new Set()) {
  const { config, issues } = validateDynamicConfiguration(raw);
  const runtime = mergeSnapshots([{ provider: 'file', config, issues }]);
  const transports = new TransportPool();
  const certificates = new CertificateStore();
  const built = buildRoutingTable(runtime, {
    entryPoints: ['web'],
    defaultEntryPoints: ['web'],
    upstreams: new UpstreamRegistry(),
    transports,
    defaultTransport: DEFAULT_TRANSPORT,
    internalServices: new Map(),
    certificates,
    certResolvers,
  });
  transports.destroyAll();
  return { runtime, built, certificates };
}

const service = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };

describe('the TLS side of a configuration build', () => {
  it('reports each certificate that does not load as an error naming its file, and TLS options it cannot build', () => {
    const { runtime } = build({
      tls: {
        certificates: [
          { certFile: '/a.crt', keyFile: '/a.key' },
          {
            certFile: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n',
            keyFile: '-----BEGIN PRIVATE KEY-----\n',
          },
        ],
        options: { modern: { minVersion: 'VersionTLS13' }, broken: { cipherSuites: ['TLS_NOPE'] } },
        stores: { other: {} },
      },
    });
    assert.deepEqual(
      runtime.issues.map((i) => [i.key, i.severity, i.source]),
      [
        ['tls.certificates[0]', 'error', 'file'],
        ['tls.certificates[1]', 'error', 'file'],
      ],
    );
    assert.match(runtime.issues[0]?.message ?? '', /\/a\.crt/);
    assert.match(runtime.issues[1]?.message ?? '', /inline: not a PEM certificate/);
    assert.equal(runtime.tls.options.get('modern@file')?.status, 'enabled');
    assert.equal(runtime.tls.options.get('broken@file')?.status, 'disabled');
    assert.match(
      runtime.tls.options.get('broken@file')?.errors[0] ?? '',
      /^tls\.options\.broken\.cipherSuites: invalid CipherSuite: TLS_NOPE/,
    );
    assert.equal(runtime.tls.stores.get('other@file')?.status, 'warning');
  });

  it('serves a router with tls on TLS connections only, and reports a missing resolver or options as its error', () => {
    const { runtime, built } = build({
      http: {
        routers: {
          secure: { rule: 'Host(`a.test`)', service: 'app', tls: {} },
          labelled: { rule: 'Host(`b.test`)', service: 'app', tls: 'true' },
          empty: { rule: 'Host(`d.test`)', service: 'app', tls: null },
          plain: { rule: 'Host(`c.test`)', service: 'app', tls: 'false' },
          resolver: { rule: 'Host(`e.test`)', service: 'app', tls: { certResolver: 'le' } },
          options: { rule: 'Host(`f.test`)', service: 'app', tls: { options: 'nope' } },
        },
        services: { app: service },
      },
    });
    assert.deepEqual(runtime.routers.get('resolver@file')?.errors, [
      'http.routers.resolver.tls.certResolver: the certificate resolver "le" does not exist',
    ]);
    assert.deepEqual(runtime.routers.get('options@file')?.errors, [
      'http.routers.options.tls.options: unknown TLS options: nope@file',
    ]);
    assert.deepEqual(
      built.table.routesOf('web').map((r) => r.name),
      ['plain@file'],
    );
    assert.deepEqual(
      built.table.routesOf('web', true).map((r) => r.name),
      ['empty@file', 'labelled@file', 'secure@file'],
    );
    assert.ok(built.table.tlsFor('web') !== undefined);
  });

  it('defaultGeneratedCert: an unknown or missing resolver and a missing domain are errors naming the key; defaultCertificate takes precedence', () => {
    const store = (generated: unknown, extra: object = {}) =>
      build(
        { tls: { stores: { default: { defaultGeneratedCert: generated, ...extra } } } },
        new Set(['le']),
      ).runtime.tls.stores.get('default@file');
    const unknown = store({ resolver: 'nope', domain: { main: 'd.test' } });
    assert.equal(unknown?.status, 'disabled');
    assert.match(
      unknown?.errors[0] ?? '',
      /^tls\.stores\.default\.defaultGeneratedCert\.resolver: the certificate resolver "nope" does not exist/,
    );
    assert.match(store({ domain: { main: 'd.test' } })?.errors[0] ?? '', /defaultGeneratedCert\.resolver: required/);
    assert.match(store({ resolver: 'le' })?.errors[0] ?? '', /defaultGeneratedCert\.domain\.main: required/);
    const fine = store({ resolver: 'le', domain: { main: 'd.test', sans: ['e.test'] } });
    assert.deepEqual(fine?.errors, []);
    assert.equal(fine?.status, 'enabled');
  });
});
