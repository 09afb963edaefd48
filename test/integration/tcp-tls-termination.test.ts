/**
 * TLS termination for TCP routers (`tls` without `passthrough`), with real sockets: Node's TLS
 * client → Switchyard → a plain TCP echo server. The client sees Switchyard's certificate for
 * the SNI (verified against its CA), the backend sees the plaintext; the router's `tls.options`
 * apply; `HostSNI(`*`)` with `tls` takes every TLS connection; beside them, passthrough routers
 * and HTTPS routers keep their own connections.
 */
import assert from 'node:assert/strict';
import type { Server, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import { type Backend, startBackend } from '../helpers/backends.js';
import { handshake, httpsGet, makeCa, makeCertificate, type TestCa, type TestPair } from '../helpers/certificates.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { type PemPair, selfSigned } from '../helpers/self-signed.js';
import { type Listening, startTcpEcho, startTcpServer, startTlsEcho } from '../helpers/tcp.js';

/** Connects with TLS, writes `text`, and resolves with the certificate shown and the first answer. */
function ask(
  port: number,
  text: string,
  options: ConnectionOptions = {},
): Promise<{ cn: string; answer: string; alpn: string | false | null; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false, ...options }, () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.once('data', (chunk) => resolve({ cn, answer: chunk.toString(), alpn: socket.alpnProtocol, socket }));
      socket.write(text);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
  });
}

describe('TCP routers terminating TLS', () => {
  let ca: TestCa;
  let termCert: TestPair;
  let backendCert: PemPair;
  let echo: Listening<Server>;
  let recorder: Listening<Server>;
  let passthrough: Listening<import('node:tls').Server>;
  let http: Backend;
  let proxy: TestProxy;
  let catchAllPort: number;
  /** What the recording backend received, per connection. */
  const received: string[] = [];

  const config = () => ({
    http: {
      routers: { site: { rule: 'Host(`site.test`)', service: 'site', entryPoints: ['web'], tls: {} } },
      services: { site: { loadBalancer: { servers: [{ url: http.url }] } } },
    },
    tcp: {
      routers: {
        term: { rule: 'HostSNI(`term.test`)', service: 'echo', entryPoints: ['web'], tls: {} },
        recorded: {
          rule: 'HostSNI(`rec.test`)',
          service: 'recorder',
          entryPoints: ['web'],
          tls: { options: 'modern' },
        },
        through: { rule: 'HostSNI(`pass.test`)', service: 'pass', entryPoints: ['web'], tls: { passthrough: true } },
        all: { rule: 'HostSNI(`*`)', service: 'echo', entryPoints: ['tls'], tls: { passthrough: false } },
        missing: { rule: 'HostSNI(`x.test`)', service: 'echo', entryPoints: ['web'], tls: { options: 'nope' } },
      },
      services: {
        echo: { loadBalancer: { servers: [{ address: `127.0.0.1:${echo.port}` }] } },
        recorder: { loadBalancer: { servers: [{ address: `127.0.0.1:${recorder.port}` }] } },
        pass: { loadBalancer: { servers: [{ address: `127.0.0.1:${passthrough.port}` }] } },
      },
    },
    tls: {
      certificates: [{ certFile: termCert.certPem, keyFile: termCert.keyPem }],
      options: { modern: { minVersion: 'VersionTLS13', alpnProtocols: ['redis'] } },
    },
  });

  before(async () => {
    ca = await makeCa();
    termCert = await makeCertificate(ca, ['term.test', 'rec.test', 'site.test']);
    backendCert = await selfSigned(['pass.test']);
    [echo, recorder, passthrough, http] = await Promise.all([
      startTcpEcho('echo'),
      startTcpServer((socket: Socket) => {
        const index = received.push('') - 1;
        socket.on('data', (chunk) => {
          received[index] += chunk.toString('latin1');
          socket.write(`got ${chunk.length}`);
        });
      }),
      startTlsEcho('backend-tls', backendCert),
      startBackend('http'),
    ]);
    proxy = await startProxy(config(), [
      '--entryPoints.tls.address=127.0.0.1:0',
      '--api.insecure=true',
      '--entryPoints.traefik.address=127.0.0.1:0',
    ]);
    catchAllPort = proxy.app.entryPoints.get('tls')?.port ?? 0;
  });

  after(async () => {
    await proxy?.stop(200);
    await Promise.all([echo, recorder, passthrough].map((s) => s?.close()));
    await http?.close();
  });

  test("the client sees Switchyard's certificate for the SNI; the TCP backend gets plaintext", async () => {
    const { cn, answer, socket } = await ask(proxy.port, 'PING', {
      servername: 'term.test',
      ca: ca.certPem,
      rejectUnauthorized: true,
    });
    socket.destroy();
    assert.equal(cn, 'term.test');
    assert.equal(answer, 'echo:PING');
  });

  test('the backend receives exactly the bytes the client wrote, decrypted', async () => {
    const { answer, socket } = await ask(proxy.port, 'SET key value\r\n', {
      servername: 'rec.test',
      ALPNProtocols: ['redis'],
    });
    socket.destroy();
    assert.equal(answer, 'got 15');
    assert.equal(received.at(-1), 'SET key value\r\n');
  });

  test("the router's tls.options apply: TLS 1.2 refused, TLS 1.3 and its ALPN accepted", async () => {
    const old = await handshake(proxy.port, { servername: 'rec.test', maxVersion: 'TLSv1.2' });
    assert.equal(old.ok, false);
    const modern = await handshake(proxy.port, { servername: 'rec.test', ALPNProtocols: ['redis'] });
    assert.equal(modern.ok, true);
    assert.equal(modern.protocol, 'TLSv1.3');
    assert.equal(modern.alpn, 'redis');
    // The default options elsewhere still allow TLS 1.2.
    const term = await handshake(proxy.port, { servername: 'term.test', maxVersion: 'TLSv1.2' });
    assert.equal(term.ok, true);
    assert.equal(term.protocol, 'TLSv1.2');
  });

  test('HostSNI(`*`) with tls takes every TLS connection, with or without a known name', async () => {
    const known = await ask(catchAllPort, 'a', { servername: 'term.test' });
    known.socket.destroy();
    assert.equal(known.cn, 'term.test');
    assert.equal(known.answer, 'echo:a');
    const unknown = await ask(catchAllPort, 'b', { servername: 'who.test' });
    unknown.socket.destroy();
    // No certificate names it: the default (generated) certificate, as for HTTPS.
    assert.notEqual(unknown.cn, 'term.test');
    assert.equal(unknown.answer, 'echo:b');
    const nameless = await ask(catchAllPort, 'c');
    nameless.socket.destroy();
    assert.equal(nameless.answer, 'echo:c');
  });

  test('passthrough and HTTPS routers beside it keep their connections', async () => {
    const through = await ask(proxy.port, 'p', { servername: 'pass.test' });
    through.socket.destroy();
    assert.equal(through.cn, 'pass.test');
    assert.equal(through.answer, 'backend-tls:p');
    const site = await httpsGet(proxy.port, 'site.test', '/hello', { ca: ca.certPem, rejectUnauthorized: true });
    // Verified against the CA for the name site.test: the HTTPS path served it, not a TCP router.
    assert.equal(site.status, 200);
    assert.match(site.text, /"url":"\/hello"/);
  });

  test('unknown tls.options disable the router with an error naming the key; the old warning is gone', () => {
    const missing = proxy.app.runtime.tcp.routers.get('missing@file');
    assert.equal(missing?.status, 'disabled');
    assert.match(
      missing?.errors?.join('\n') ?? '',
      /tcp\.routers\.missing\.tls\.options: unknown TLS options: nope@file/,
    );
    const term = proxy.app.runtime.tcp.routers.get('term@file');
    assert.equal(term?.status, 'enabled');
  });
});
