/**
 * PROXY protocol on entry points (`entryPoints.<ep>.proxyProtocol`): from a trusted peer the
 * header's client address is what HTTP (X-Forwarded-For, ClientIP) and TCP routers (ClientIP)
 * see; from an untrusted peer a header is refused, while plain connections are served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { encodeProxyHeader } from '../../src/tcp/proxy-header.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { dial, exchange, type Listening, startTcpEcho, startTcpServer } from '../helpers/tcp.js';

/** Sends raw bytes and collects everything until the server closes. */
async function rawRoundTrip(port: number, bytes: Buffer | string): Promise<string> {
  const socket = await dial(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => undefined);
  socket.write(bytes);
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(chunks).toString('latin1');
}

const request = 'GET /who HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n';

describe('PROXY protocol on entry points', () => {
  let backend: Backend;
  let echo: Listening<import('node:net').Server>;
  let greeter: Listening<import('node:net').Server>;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('app');
    echo = await startTcpEcho('tcp');
    // A server that speaks first, as SMTP and MySQL do.
    greeter = await startTcpServer((socket) => socket.end('220 greeter ready\r\n'));
    proxy = await startProxy(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'app' },
            onlyDocNet: { rule: 'Host(`doc.test`) && ClientIP(`203.0.113.0/24`)', service: 'app' },
            secure: { rule: 'Host(`app.test`)', service: 'app', entryPoints: ['websecure'], tls: {} },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tcp: {
          routers: {
            fromDocNet: { rule: 'ClientIP(`198.51.100.0/24`)', service: 'echo', entryPoints: ['tcp'] },
            greeting: { rule: 'HostSNI(`*`)', service: 'greeter', entryPoints: ['smtp'] },
          },
          services: {
            echo: { loadBalancer: { servers: [{ address: `127.0.0.1:${echo.port}` }] } },
            greeter: { loadBalancer: { servers: [{ address: `127.0.0.1:${greeter.port}` }] } },
          },
        },
      },
      [
        '--entryPoints.web.proxyProtocol.trustedIPs=127.0.0.1/32',
        '--entryPoints.strict.address=127.0.0.1:0',
        '--entryPoints.strict.proxyProtocol.trustedIPs=10.0.0.1',
        '--entryPoints.tcp.address=127.0.0.1:0',
        '--entryPoints.tcp.proxyProtocol.insecure=true',
        '--entryPoints.websecure.address=127.0.0.1:0',
        '--entryPoints.websecure.proxyProtocol.trustedIPs=127.0.0.1/32',
        '--entryPoints.smtp.address=127.0.0.1:0',
        '--entryPoints.smtp.proxyProtocol.trustedIPs=127.0.0.1/32',
      ],
    );
  });

  after(async () => {
    await proxy?.stop(100);
    await backend?.close();
    await echo?.close();
    await greeter?.close();
  });

  test('over TLS too: the client address reaches X-Forwarded-For of an HTTPS request', async () => {
    const port = proxy.app.entryPoints.get('websecure')?.port ?? 0;
    const raw = await dial(port);
    raw.write('PROXY TCP4 203.0.113.44 127.0.0.1 40000 443\r\n');
    const secure = tlsConnect({ socket: raw, servername: 'app.test', rejectUnauthorized: false });
    const chunks: Buffer[] = [];
    secure.on('data', (chunk: Buffer) => chunks.push(chunk));
    secure.on('error', () => undefined);
    secure.write(request);
    await new Promise((resolve) => secure.once('close', resolve));
    const answer = Buffer.concat(chunks).toString('latin1');
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"x-forwarded-for":"203\.0\.113\.44"/);
  });

  test('a server-first TCP route greets a client that sends no header once the header wait ends', async () => {
    const port = proxy.app.entryPoints.get('smtp')?.port ?? 0;
    const socket = await dial(port);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(Buffer.concat(chunks).toString('latin1'), '220 greeter ready\r\n');
  });

  test('v1 from a trusted peer: the client address reaches X-Forwarded-For and ClientIP', async () => {
    const header = 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n';
    const answer = await rawRoundTrip(proxy.port, header + request);
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"x-forwarded-for":"203\.0\.113\.7"/);
    const routed = await rawRoundTrip(
      proxy.port,
      `${header}GET / HTTP/1.1\r\nHost: doc.test\r\nConnection: close\r\n\r\n`,
    );
    assert.match(routed, /^HTTP\/1\.1 200/, 'ClientIP sees the address from the header');
  });

  test('v2 from a trusted peer works the same; a connection without a header is served too', async () => {
    const header = encodeProxyHeader(2, { address: '203.0.113.9', port: 1 }, { address: '127.0.0.1', port: 80 });
    const answer = await rawRoundTrip(proxy.port, Buffer.concat([header, Buffer.from(request)]));
    assert.match(answer, /"x-forwarded-for":"203\.0\.113\.9"/);
    const plain = await rawRoundTrip(proxy.port, request);
    assert.match(plain, /"x-forwarded-for":"127\.0\.0\.1"/);
  });

  test('a header from an untrusted peer is refused: the connection closes unanswered', async () => {
    const port = proxy.app.entryPoints.get('strict')?.port ?? 0;
    const refused = await rawRoundTrip(port, `PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n${request}`);
    assert.equal(refused, '');
    const plain = await rawRoundTrip(port, request);
    assert.match(plain, /^HTTP\/1\.1 200/);
  });

  test('TCP routers match ClientIP on the address from the header', async () => {
    const port = proxy.app.entryPoints.get('tcp')?.port ?? 0;
    const socket = await dial(port);
    const header = encodeProxyHeader(1, { address: '198.51.100.20', port: 5 }, { address: '127.0.0.1', port });
    assert.equal(await exchange(socket, Buffer.concat([header, Buffer.from('hello')])), 'tcp:hello');
    socket.destroy();
    const other = await dial(port);
    assert.equal(await exchange(other, 'no header'), '', 'the real peer, 127.0.0.1, matches no TCP router');
  });
});
