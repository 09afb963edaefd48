import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PemPair } from './certificate.js';
import { CertificateStore } from './certificate-store.js';
import { DEFAULT_CERT_CN, generateDefaultCertificate, selfSignedCertificate } from './default-certificate.js';
import { compileTlsOptions } from './tls-options.js';

describe('the certificate store', () => {
  let exact: PemPair;
  let wildcard: PemPair;
  let acme: PemPair;

  before(async () => {
    exact = await selfSignedCertificate(['a.example.test', 'b.example.test']);
    wildcard = await selfSignedCertificate(['*.example.test']);
    acme = await selfSignedCertificate(['acme.test']);
  });

  it('finds the exact name first, then the wildcard one level up, and nothing deeper', () => {
    const store = new CertificateStore();
    assert.deepEqual(store.setSource('config', [wildcard, exact]), []);
    assert.deepEqual(store.lookup('a.example.test')?.names, ['a.example.test', 'b.example.test']);
    assert.deepEqual(store.lookup('c.example.test')?.names, ['*.example.test']);
    assert.equal(store.lookup('x.c.example.test'), undefined);
    assert.equal(store.lookup('example.test'), undefined);
  });

  it('takes certificates from other sources by their SANs, and replaces a source whole', () => {
    const store = new CertificateStore();
    store.setSource('le', [acme]);
    assert.equal(store.lookup('acme.test')?.source, 'le');
    store.setSource('le', []);
    assert.equal(store.lookup('acme.test'), undefined);
  });

  it('returns the entries that do not load (bad PEM, key of another certificate) and keeps the rest', () => {
    const store = new CertificateStore();
    const errors = store.setSource('le', [
      { certPem: 'nope', keyPem: exact.keyPem },
      { certPem: exact.certPem, keyPem: wildcard.keyPem },
      acme,
    ]);
    assert.equal(errors.length, 2);
    assert.match(errors[0]?.message ?? '', /not a PEM certificate/);
    assert.match(errors[1]?.message ?? '', /does not match/);
    assert.ok(store.lookup('acme.test') !== undefined);
  });

  it('serves the configured default certificate before the generated one', async () => {
    assert.equal(new CertificateStore().defaultCertificate, null);
    const store = new CertificateStore();
    store.setGenerated(await generateDefaultCertificate());
    assert.match(store.defaultCertificate?.subject ?? '', new RegExp(DEFAULT_CERT_CN));
    assert.match(store.defaultCertificate?.names[0] ?? '', /^[0-9a-f]{32}\.[0-9a-f]{32}\.traefik\.default$/);
  });
  it("serves the certificate of defaultGeneratedCert's names once a source holds it, the generated one until then", async () => {
    const store = new CertificateStore();
    store.setGenerated(await generateDefaultCertificate());
    store.setDefaultDomains(['b.example.test', 'A.example.test']);
    assert.match(store.defaultCertificate?.subject ?? '', new RegExp(DEFAULT_CERT_CN));
    store.setSource('le', [acme, exact]);
    assert.deepEqual(store.defaultCertificate?.names, ['a.example.test', 'b.example.test']);
    assert.equal(store.list().length, 2, "the default certificate, a resolver's, is listed once");
    // A certificate covering the names (here a wildcard) serves when none has exactly them.
    store.setSource('le', [wildcard]);
    assert.deepEqual(store.defaultCertificate?.names, ['*.example.test']);
    store.setSource('le', []);
    assert.match(store.defaultCertificate?.subject ?? '', new RegExp(DEFAULT_CERT_CN));
    // defaultCertificate takes precedence; clearing the names gives the generated one back.
    store.setSource('le', [exact]);
    store.setConfiguredDefault(store.lookup('a.example.test') ?? null);
    store.setSource('config', [acme]);
    store.setConfiguredDefault(store.lookup('acme.test') ?? null);
    assert.deepEqual(store.defaultCertificate?.names, ['acme.test']);
    store.setConfiguredDefault(null);
    store.setDefaultDomains(null);
    assert.match(store.defaultCertificate?.subject ?? '', new RegExp(DEFAULT_CERT_CN));
  });

  it('hands out the generated certificate (a primary passes it to its workers)', async () => {
    const store = new CertificateStore();
    assert.equal(store.generatedCertificate, null);
    const pair = await generateDefaultCertificate();
    store.setGenerated(pair);
    assert.deepEqual(store.generatedCertificate, pair);
  });
});

describe('TLS options', () => {
  it('maps Go names to OpenSSL settings', () => {
    const options = compileTlsOptions(
      'x',
      {
        minVersion: 'VersionTLS12',
        maxVersion: 'VersionTLS13',
        cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
        curvePreferences: ['CurveP256', 'X25519'],
      },
      'tls.options.x',
    );
    assert.equal(options.context.minVersion, 'TLSv1.2');
    assert.equal(options.context.maxVersion, 'TLSv1.3');
    assert.match(String(options.context.ciphers), /:ECDHE-RSA-AES128-GCM-SHA256$/);
    assert.equal(options.context.ecdhCurve, 'P-256:X25519');
    assert.deepEqual(options.alpnProtocols, ['h2', 'http/1.1', 'acme-tls/1']);
    assert.equal(options.clientAuth, 'NoClientCert');
  });

  it('names the key of a value Traefik refuses', () => {
    assert.throws(
      () => compileTlsOptions('x', { minVersion: 'TLS1.3' }, 'tls.options.x'),
      /^Error: tls\.options\.x\.minVersion: unknown TLS version/,
    );
    assert.throws(
      () => compileTlsOptions('x', { curvePreferences: ['P-999'] }, 'tls.options.x'),
      /curvePreferences: invalid CurveID/,
    );
    assert.throws(
      () => compileTlsOptions('x', { clientAuth: { clientAuthType: 'RequireAndVerifyClientCert' } }, 'tls.options.x'),
      /CAFiles is required/,
    );
    assert.throws(
      () => compileTlsOptions('x', { clientAuth: { clientAuthType: 'Maybe' } }, 'tls.options.x'),
      /unknown client auth type/,
    );
    assert.throws(
      () => compileTlsOptions('x', { minVersion: 'VersionTLS13', maxVersion: 'VersionTLS12' }, 'tls.options.x'),
      /^Error: tls\.options\.x: /,
    );
  });

  it('CA files without a type mean RequireAndVerifyClientCert, as in Traefik', async () => {
    const ca = await selfSignedCertificate(['ca.test']);
    const options = compileTlsOptions('x', { clientAuth: { caFiles: [ca.certPem] } }, 'tls.options.x');
    assert.equal(options.clientAuth, 'RequireAndVerifyClientCert');
    assert.equal(options.requestCert, true);
  });
});
