import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { handshake, httpsGet, makeCa, makeCertificate, type TestCa, type TestPair } from '../helpers/certificates.js';
import { send, sendJson } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('HTTPS: TLS termination, certificates and options', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let ca: TestCa;
  let clientCa: TestCa;
  let a: TestPair;
  let wildcard: TestPair;
  let client: TestPair;
  let stranger: TestPair;
  let soon: TestPair;
  let tlsPort: number;
  let api: string;

  const dynamic = () => ({
    http: {
      routers: {
        secure: { rule: 'Host(`a.test`)', service: 'app', entryPoints: ['websecure'], tls: {} },
        wild: { rule: 'HostRegexp(`^.+\\.wild\\.test$`)', service: 'app', entryPoints: ['websecure'], tls: {} },
        plain: { rule: 'Host(`plain.test`)', service: 'app' },
        modern: { rule: 'Host(`modern.test`)', service: 'app', entryPoints: ['websecure'], tls: { options: 'modern' } },
        mutual: { rule: 'Host(`mtls.test`)', service: 'app', entryPoints: ['websecure'], tls: { options: 'mtls' } },
        strict: { rule: 'Host(`strict.test`)', service: 'app', entryPoints: ['websecure'], tls: { options: 'strict' } },
      },
      services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
    },
    tls: {
      certificates: [
        { certFile: a.certPem, keyFile: a.keyPem },
        { certFile: wildcard.certPem, keyFile: wildcard.keyPem },
        { certFile: soon.certPem, keyFile: soon.keyPem },
      ],
      options: {
        modern: { minVersion: 'VersionTLS13' },
        mtls: { clientAuth: { caFiles: [clientCa.certPem], clientAuthType: 'RequireAndVerifyClientCert' } },
        strict: { sniStrict: true },
      },
    },
  });

  before(async () => {
    backend = await startBackend('app');
    ca = await makeCa();
    clientCa = await makeCa('Client CA');
    const otherCa = await makeCa('Other CA');
    a = await makeCertificate(ca, ['a.test', 'modern.test', 'mtls.test']);
    wildcard = await makeCertificate(ca, ['*.wild.test']);
    client = await makeCertificate(clientCa, [], { cn: 'alice', client: true });
    stranger = await makeCertificate(otherCa, [], { cn: 'mallory', client: true });
    soon = await makeCertificate(ca, ['soon.test'], { notAfter: new Date(Date.now() + 10 * 86_400_000) });
    proxy = await startProxy(dynamic(), [
      '--entryPoints.websecure.address=127.0.0.1:0',
      '--entryPoints.traefik.address=127.0.0.1:0',
      '--api.insecure=true',
    ]);
    tlsPort = proxy.app.entryPoints.get('websecure')?.port ?? 0;
    api = `http://127.0.0.1:${proxy.app.entryPoints.get('traefik')?.port}`;
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('serves the certificate whose name is the SNI, verified against its CA, and forwards as https', async () => {
    const response = await httpsGet(tlsPort, 'a.test', '/x', { ca: ca.certPem, rejectUnauthorized: true });
    assert.equal(response.status, 200);
    assert.equal(response.cn, 'a.test');
    const echo = JSON.parse(response.text) as { headers: Record<string, string> };
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers['x-forwarded-port'], '443');
  });

  it('serves a wildcard certificate one level down, and the default certificate deeper or for unknown names', async () => {
    assert.equal((await handshake(tlsPort, { servername: 'x.wild.test' })).cn, '*.wild.test');
    assert.equal((await handshake(tlsPort, { servername: 'a.b.wild.test' })).cn, 'TRAEFIK DEFAULT CERT');
    assert.equal((await handshake(tlsPort, { servername: 'unknown.test' })).cn, 'TRAEFIK DEFAULT CERT');
    // No SNI at all (an IP address): the default certificate too.
    assert.equal((await handshake(tlsPort)).cn, 'TRAEFIK DEFAULT CERT');
    const response = await httpsGet(tlsPort, 'x.wild.test', '/', { ca: ca.certPem, rejectUnauthorized: true });
    assert.equal(response.status, 200);
  });

  it('routes a tls router only on TLS connections and a plaintext one only on plaintext', async () => {
    assert.equal((await httpsGet(tlsPort, 'plain.test')).status, 404);
    assert.equal((await send(`${proxy.url}/`, { headers: { host: 'a.test' } })).status, 404);
    assert.equal((await send(`${proxy.url}/`, { headers: { host: 'plain.test' } })).status, 200);
    // Plaintext HTTP to the TLS entry point is still HTTP (404: no plaintext router there).
    assert.equal((await send(`http://127.0.0.1:${tlsPort}/`, { headers: { host: 'a.test' } })).status, 404);
  });

  it('refuses TLS 1.2 for a host whose options ask for VersionTLS13, and accepts it elsewhere', async () => {
    const refused = await handshake(tlsPort, { servername: 'modern.test', maxVersion: 'TLSv1.2' });
    assert.equal(refused.ok, false);
    const modern = await handshake(tlsPort, { servername: 'modern.test' });
    assert.equal(modern.protocol, 'TLSv1.3');
    const old = await handshake(tlsPort, { servername: 'a.test', maxVersion: 'TLSv1.2' });
    assert.equal(old.protocol, 'TLSv1.2');
  });

  it('requires a client certificate signed by the configured CA (mTLS)', async () => {
    const ok = await httpsGet(tlsPort, 'mtls.test', '/', { cert: client.certPem, key: client.keyPem });
    assert.equal(ok.status, 200);
    await assert.rejects(httpsGet(tlsPort, 'mtls.test', '/'));
    await assert.rejects(httpsGet(tlsPort, 'mtls.test', '/', { cert: stranger.certPem, key: stranger.keyPem }));
    // Other hosts do not ask for one.
    assert.equal((await httpsGet(tlsPort, 'a.test', '/')).status, 200);
  });

  it('refuses names without a certificate under sniStrict, with an alert', async () => {
    const refused = await handshake(tlsPort, { servername: 'strict.test' });
    assert.equal(refused.ok, false);
    assert.match(String(refused.error), /ALERT|ECONNRESET/);
  });

  it('lists the certificates in the API with their routers, the default one, and warns of one ending within 30 days', async () => {
    type View = {
      commonName: string;
      sans: string[];
      status: string;
      usedBy: string[];
      default: boolean;
      keyType: string;
      name: string;
    };
    const { status, json } = await sendJson<View[]>(`${api}/api/certificates`);
    assert.equal(status, 200);
    const byCn = new Map(json.map((c) => [c.commonName, c]));
    assert.deepEqual(byCn.get('a.test')?.usedBy, ['modern@file', 'mutual@file', 'secure@file']);
    assert.equal(byCn.get('a.test')?.status, 'enabled');
    assert.equal(byCn.get('a.test')?.keyType, 'ECDSA');
    assert.equal(byCn.get('soon.test')?.status, 'warning');
    assert.equal(byCn.get('TRAEFIK DEFAULT CERT')?.default, true);
    assert.deepEqual(byCn.get('TRAEFIK DEFAULT CERT')?.usedBy, ['strict@file']);
    const one = await sendJson<View>(`${api}/api/certificates/${byCn.get('a.test')?.name}`);
    assert.equal(one.json.commonName, 'a.test');
    assert.ok(
      proxy.app.runtime.issues.some((i) => i.severity === 'warning' && /soon\.test.*expires in 9 day/.test(i.message)),
    );
  });

  it('explains a request as TLS for an https:// URL and as plaintext otherwise', async () => {
    type Verdict = { entryPoints: Array<{ router: string | null; tls: boolean; otherConnection: string[] }> };
    const secure = await sendJson<Verdict>(
      `${api}/api/explain?url=${encodeURIComponent('https://a.test/')}&entryPoint=websecure`,
    );
    assert.equal(secure.json.entryPoints[0]?.router, 'secure@file');
    assert.equal(secure.json.entryPoints[0]?.tls, true);
    const plain = await sendJson<Verdict>(
      `${api}/api/explain?url=${encodeURIComponent('http://a.test/')}&entryPoint=websecure`,
    );
    assert.equal(plain.json.entryPoints[0]?.router, null);
    assert.ok(plain.json.entryPoints[0]?.otherConnection.includes('secure@file'));
  });

  it('prefers h2 by ALPN, and gives http/1.1 to a client that offers only it', async () => {
    const both = await handshake(tlsPort, { servername: 'a.test', ALPNProtocols: ['http/1.1', 'h2'] });
    assert.equal(both.alpn, 'h2');
    const h1 = await handshake(tlsPort, { servername: 'a.test', ALPNProtocols: ['http/1.1'] });
    assert.equal(h1.alpn, 'http/1.1');
  });

  it('reports a certificate that does not load, naming it, and keeps serving the others', async () => {
    const broken = dynamic();
    broken.tls.certificates.push({ certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' });
    broken.tls.certificates.push({ certFile: a.certPem, keyFile: wildcard.keyPem });
    await proxy.update(broken);
    const issues = proxy.app.runtime.issues.filter((i) => i.key.startsWith('tls.certificates'));
    assert.ok(
      issues.some((i) => i.severity === 'error' && i.message.includes('/nonexistent/cert.pem')),
      JSON.stringify(issues),
    );
    assert.ok(
      issues.some((i) => i.message.includes('does not match')),
      JSON.stringify(issues),
    );
    assert.equal((await handshake(tlsPort, { servername: 'a.test' })).cn, 'a.test');
    await proxy.update(dynamic());
  });

  it('serves a replaced certificate after a reload, without failing a request under load', async () => {
    const next = await makeCertificate(ca, ['a.test'], { cn: 'a.test renewed' });
    let failures = 0;
    let done = 0;
    let stop = false;
    const load = (async () => {
      while (!stop && done < 2000) {
        try {
          const response = await httpsGet(tlsPort, 'a.test', '/');
          if (response.status !== 200) failures++;
        } catch {
          failures++;
        }
        done++;
      }
    })();
    const renewed = dynamic();
    renewed.tls.certificates[0] = { certFile: next.certPem, keyFile: next.keyPem };
    await proxy.update(renewed);
    let seen = '';
    for (let i = 0; i < 100 && seen !== 'a.test renewed'; i++)
      seen = (await handshake(tlsPort, { servername: 'a.test' })).cn ?? '';
    stop = true;
    await load;
    assert.equal(seen, 'a.test renewed');
    assert.equal(failures, 0);
    assert.ok(done > 0);
    await proxy.update(dynamic());
  });

  it('cuts a connection that sends a TLS record header and then garbage, and keeps serving', async () => {
    const { connect } = await import('node:net');
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(tlsPort, '127.0.0.1', () =>
        socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])),
      );
      socket.on('data', () => undefined);
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
    });
    assert.equal(closed, true);
    assert.equal((await httpsGet(tlsPort, 'a.test')).status, 200);
  });
});

describe('entry point redirection and http.tls', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let securePort: number;

  before(async () => {
    backend = await startBackend('app');
    securePort = await freePort();
    proxy = await startProxy(
      {
        http: {
          routers: { app: { rule: 'Host(`site.test`)', service: 'app' } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [
        '--entryPoints.web.http.redirections.entryPoint.to=websecure',
        `--entryPoints.websecure.address=127.0.0.1:${securePort}`,
        '--entryPoints.websecure.http.tls=true',
      ],
    );
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('redirects plaintext requests to https on the target entry point port', async () => {
    const response = await send(`${proxy.url}/a/b?c=d`, { headers: { host: 'site.test:8000' } });
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, `https://site.test:${securePort}/a/b?c=d`);
  });

  it('serves a router without tls as a TLS router on an entry point with http.tls', async () => {
    const port = proxy.app.entryPoints.get('websecure')?.port ?? 0;
    const response = await httpsGet(port, 'site.test');
    assert.equal(response.status, 200);
    assert.equal(response.cn, 'TRAEFIK DEFAULT CERT');
  });
});
