/**
 * HTTP/2 over TLS through the real TLS stage: ALPN picks `h2` (or `http/1.1` for a client that
 * offers only that) on one HTTPS entry point, and both reach the same router and backend, with
 * the scheme and protocol recorded.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { httpsGet, makeCa, makeCertificate, type TestCa, type TestPair } from '../helpers/certificates.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function h2Get(port: number, servername: string, ca: string, path: string) {
  return new Promise<{ status: number; alpn: string | false; body: string }>((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { servername, ca });
    session.on('error', reject);
    const stream = session.request({ ':path': path, ':authority': servername });
    let body = '';
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => {
      const alpn = session.alpnProtocol ?? false;
      session.close();
      resolve({ status, alpn, body });
    });
    stream.on('error', reject);
    stream.end();
  });
}

describe('HTTP/2 over TLS (ALPN h2) on an HTTPS entry point', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let ca: TestCa;
  let pair: TestPair;
  let port: number;

  before(async () => {
    backend = await startBackend('app');
    ca = await makeCa();
    pair = await makeCertificate(ca, ['h2.test']);
    proxy = await startProxy(
      {
        http: {
          routers: { secure: { rule: 'Host(`h2.test`)', service: 'app', entryPoints: ['websecure'], tls: {} } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tls: { certificates: [{ certFile: pair.certPem, keyFile: pair.keyPem }] },
      },
      ['--entryPoints.websecure.address=127.0.0.1:0'],
    );
    port = proxy.app.entryPoints.get('websecure')?.port ?? 0;
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('negotiates h2 and routes the request to the TLS router, forwarded as https', async () => {
    const response = await h2Get(port, 'h2.test', ca.certPem, '/over-h2');
    assert.equal(response.alpn, 'h2');
    assert.equal(response.status, 200);
    const echo = JSON.parse(response.body) as { url: string; headers: Record<string, string> };
    assert.equal(echo.url, '/over-h2');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers.host, 'h2.test');
  });

  it('serves HTTP/1.1 over TLS on the same entry point to a client that offers only http/1.1', async () => {
    const response = await httpsGet(port, 'h2.test', '/over-h1', { ca: ca.certPem, rejectUnauthorized: true });
    assert.equal(response.status, 200);
    assert.equal((JSON.parse(response.text) as { url: string }).url, '/over-h1');
  });
});
