/**
 * passTLSClientCert through a real mutual-TLS entry point: Node's https and http2 clients present
 * a chain made in process (a leaf and its intermediate, the root trusted by `clientAuth`), the
 * echo backend shows what it was sent. Expected values follow Traefik's
 * pass_tls_client_cert_test.go (its certificates' names are rebuilt here with our own keys).
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { type Backend, startBackend } from '../helpers/backends.js';
import { httpsGet, makeCa, makeCertificate, type TestCa, type TestPair } from '../helpers/certificates.js';
import { h2Request, h2Session } from '../helpers/h2.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface Made {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function issue(
  subject: string,
  issuer: Made | null,
  serial: string,
  notBefore: Date,
  notAfter: Date,
  extensions: x509.Extension[],
): Promise<Made> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      subject,
      issuer: issuer === null ? subject : issuer.cert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey as never,
      signingKey: (issuer ?? { keys }).keys.privateKey as never,
      signingAlgorithm: ALGORITHM,
      extensions,
    },
    webcrypto as never,
  );
  return { cert, keys };
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

/** Go's url.QueryUnescape for the header value (`+` is a space). */
function queryUnescape(value: unknown): string {
  return decodeURIComponent(String(value).replace(/\+/g, ' '));
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s/g, '');
}

const SIGNING_NAME =
  'DC=org, DC=cheese, C=FR, C=US, ST=Signing State, ST=Signing State 2, L=TOULOUSE, L=LYON, O=Cheese, O=Cheese 2, OU=Simple Signing Section, CN=Simple Signing CA, CN=Simple Signing CA 2';
const LEAF_NAME =
  'DC=org, DC=cheese, C=FR, C=US, ST=Cheese org state, ST=Cheese com state, L=TOULOUSE, L=LYON, O=Cheese, O=Cheese 2, OU=Simple Signing Section, OU=Simple Signing Section 2, CN=*.cheese.com';

describe('passTLSClientCert: the client certificate chain of a mutual-TLS connection, as Traefik passes it', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let serverCa: TestCa;
  let server: TestPair;
  let root: Made;
  let intermediate: Made;
  let leaf: Made;
  let chainPem: string;
  let leafKey: string;
  let tlsPort: number;

  before(async () => {
    backend = await startBackend('app');
    serverCa = await makeCa();
    server = await makeCertificate(serverCa, ['mtls.test', 'plain.test', 'some.test']);
    const day = 86_400_000;
    root = await issue('CN=Cheese Root', null, '05', new Date(Date.now() - day), new Date(Date.now() + 30 * day), [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ]);
    intermediate = await issue(SIGNING_NAME, root, '02', new Date(Date.now() - day), new Date(Date.now() + 30 * day), [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ]);
    leaf = await issue(LEAF_NAME, intermediate, '01', new Date(1544094616_000), new Date(Date.now() + 20 * day), [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: '*.cheese.org' },
        { type: 'dns', value: '*.cheese.net' },
        { type: 'email', value: 'test@cheese.org' },
        { type: 'ip', value: '10.0.1.0' },
        { type: 'ip', value: '2001:db8:0:0:1:0:0:1' },
        { type: 'url', value: 'spiffe://cheese/x' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    chainPem = `${leaf.cert.toString('pem')}\n${intermediate.cert.toString('pem')}\n`;
    leafKey = await keyPem(leaf.keys);
    const mw = (options: object) => ({ passTLSClientCert: options });
    const router = (host: string, middlewares: string[]) => ({
      rule: `Host(\`${host}\`)`,
      service: 'app',
      entryPoints: ['websecure'],
      tls: { options: 'mtls' },
      middlewares,
    });
    proxy = await startProxy(
      {
        http: {
          routers: {
            all: router('mtls.test', ['all']),
            partial: router('some.test', ['partial']),
            none: router('plain.test', []),
            cleartext: { rule: 'Host(`clear.test`)', service: 'app', middlewares: ['all'] },
          },
          middlewares: {
            all: mw({
              pem: true,
              info: {
                notAfter: true,
                notBefore: true,
                sans: true,
                serialNumber: true,
                subject: {
                  country: true,
                  province: true,
                  locality: true,
                  organization: true,
                  organizationalUnit: true,
                  commonName: true,
                  serialNumber: true,
                  domainComponent: true,
                },
                issuer: {
                  country: true,
                  province: true,
                  locality: true,
                  organization: true,
                  commonName: true,
                  serialNumber: true,
                  domainComponent: true,
                },
              },
            }),
            partial: mw({ info: { notAfter: true, subject: { organization: true }, issuer: { country: true } } }),
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tls: {
          certificates: [{ certFile: server.certPem, keyFile: server.keyPem }],
          options: {
            mtls: { clientAuth: { caFiles: [root.cert.toString('pem')], clientAuthType: 'VerifyClientCertIfGiven' } },
          },
        },
      },
      ['--entryPoints.websecure.address=127.0.0.1:0'],
    );
    tlsPort = proxy.app.entryPoints.get('websecure')?.port ?? 0;
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  const forged = { 'x-forwarded-tls-client-cert': 'forged', 'x-forwarded-tls-client-cert-info': 'forged' };

  const expectedInfo = (): string => {
    const nb = Math.floor(leaf.cert.notBefore.getTime() / 1000);
    const na = Math.floor(leaf.cert.notAfter.getTime() / 1000);
    const ina = Math.floor(intermediate.cert.notAfter.getTime() / 1000);
    const inb = Math.floor(intermediate.cert.notBefore.getTime() / 1000);
    return [
      [
        'Subject="DC=org,DC=cheese,C=FR,C=US,ST=Cheese org state,ST=Cheese com state,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,OU=Simple Signing Section,OU=Simple Signing Section 2,CN=*.cheese.com"',
        'Issuer="DC=org,DC=cheese,C=FR,C=US,ST=Signing State,ST=Signing State 2,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,CN=Simple Signing CA 2"',
        'SerialNumber="1"',
        `NB="${nb}"`,
        `NA="${na}"`,
        'SAN="*.cheese.org,*.cheese.net,test@cheese.org,10.0.1.0,2001:db8::1:0:0:1,spiffe://cheese/x"',
      ].join(';'),
      [
        'Subject="DC=org,DC=cheese,C=FR,C=US,ST=Signing State,ST=Signing State 2,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,OU=Simple Signing Section,CN=Simple Signing CA 2"',
        'Issuer="CN=Cheese Root"',
        'SerialNumber="2"',
        `NB="${inb}"`,
        `NA="${ina}"`,
      ].join(';'),
    ].join(',');
  };

  it('passes the PEM bodies of the chain the client sent and every selected fact, query-escaped; forged values are replaced', async () => {
    const response = await httpsGet(tlsPort, 'mtls.test', '/', { cert: chainPem, key: leafKey, headers: forged });
    assert.equal(response.status, 200);
    const headers = (JSON.parse(response.text) as { headers: Record<string, string> }).headers;
    assert.equal(
      headers['x-forwarded-tls-client-cert'],
      `${pemBody(leaf.cert.toString('pem'))},${pemBody(intermediate.cert.toString('pem'))}`,
    );
    const info = headers['x-forwarded-tls-client-cert-info'] as string;
    assert.equal(queryUnescape(info), expectedInfo());
    // Go's QueryEscape: `=`, `"`, `,` and `;` escaped, a space as `+`, `*` escaped too.
    assert.ok(info.startsWith('Subject%3D%22DC%3Dorg%2CDC%3Dcheese%2CC%3DFR%2CC%3DUS%2CST%3DCheese+org+state'), info);
    assert.ok(info.includes('CN%3D%2A.cheese.com%22%3BIssuer%3D'), info);
  });

  it('passes only the selected facts, leaving empty fields out', async () => {
    const response = await httpsGet(tlsPort, 'some.test', '/', { cert: chainPem, key: leafKey });
    const headers = (JSON.parse(response.text) as { headers: Record<string, string> }).headers;
    assert.equal(headers['x-forwarded-tls-client-cert'], undefined);
    const na = Math.floor(leaf.cert.notAfter.getTime() / 1000);
    const ina = Math.floor(intermediate.cert.notAfter.getTime() / 1000);
    assert.equal(
      queryUnescape(headers['x-forwarded-tls-client-cert-info']),
      `Subject="O=Cheese,O=Cheese 2";Issuer="C=FR,C=US";NA="${na}",Subject="O=Cheese,O=Cheese 2";NA="${ina}"`,
    );
  });

  it('works the same over HTTP/2 (ALPN h2): the session socket carries the certificate', async () => {
    const session = await h2Session(`https://127.0.0.1:${tlsPort}`, {
      servername: 'mtls.test',
      rejectUnauthorized: false,
      cert: chainPem,
      key: leafKey,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await h2Request(session, { ':path': '/', ':authority': 'mtls.test', ...forged });
        assert.equal(response.status, 200);
        const headers = (JSON.parse(response.body) as { headers: Record<string, string> }).headers;
        assert.equal(queryUnescape(headers['x-forwarded-tls-client-cert-info']), expectedInfo());
        assert.equal(headers['x-forwarded-tls-client-cert']?.split(',').length, 2);
      }
    } finally {
      session.close();
    }
  });

  it('removes the client-sent headers when the client presented no certificate, or on plaintext', async () => {
    const response = await httpsGet(tlsPort, 'mtls.test', '/', { headers: forged });
    assert.equal(response.status, 200);
    const headers = (JSON.parse(response.text) as { headers: Record<string, string> }).headers;
    assert.equal(headers['x-forwarded-tls-client-cert'], undefined);
    assert.equal(headers['x-forwarded-tls-client-cert-info'], undefined);
    const clear = await send(`${proxy.url}/`, { headers: { host: 'clear.test', ...forged } });
    const clearHeaders = (JSON.parse(clear.text) as { headers: Record<string, string> }).headers;
    assert.equal(clearHeaders['x-forwarded-tls-client-cert'], undefined);
    assert.equal(clearHeaders['x-forwarded-tls-client-cert-info'], undefined);
  });

  it('leaves routers without the middleware alone', async () => {
    const response = await httpsGet(tlsPort, 'plain.test', '/', { cert: chainPem, key: leafKey });
    const headers = (JSON.parse(response.text) as { headers: Record<string, string> }).headers;
    assert.equal(headers['x-forwarded-tls-client-cert'], undefined);
  });
});
