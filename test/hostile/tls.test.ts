/**
 * Hostile TLS clients against a real proxy in a child process: a ClientHello that stalls, a
 * handshake left half done, garbage after a handshake record byte, renegotiation, unknown names
 * under sniStrict, absurd server names and a burst of failing handshakes. Each gets cut or refused
 * without costing the proxy its service to others (a plaintext GET and an HTTPS request after).
 */
import assert from 'node:assert/strict';
import { connect as connectTcp, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { type Backend, startBackend } from '../helpers/backends.js';
import { handshake, httpsGet, makeCa, makeCertificate } from '../helpers/certificates.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { waitFor } from '../helpers/http.js';
import { assertProxyHealthy } from './common.js';

/** The bytes of a real ClientHello for `servername`. */
async function clientHello(servername: string): Promise<Buffer> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }).on('error', () => undefined);
    });
  });
}

/** Opens a TCP connection, writes `bytes`, and resolves when the proxy closes it (never when it stays open). */
function writeAndWaitForClose(port: number, bytes: Buffer): { closed: Promise<void>; socket: Socket } {
  const socket = connectTcp(port, '127.0.0.1', () => socket.write(bytes));
  const closed = new Promise<void>((resolve) => {
    socket.on('data', () => undefined);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
  return { closed, socket };
}

describe('hostile TLS clients', () => {
  let backend: Backend;
  let proxy: ChildProxy;

  before(async () => {
    backend = await startBackend('app');
    const ca = await makeCa();
    const pair = await makeCertificate(ca, ['a.test']);
    proxy = await startChildProxy(
      {
        http: {
          routers: {
            health: { rule: 'Path(`/health`)', service: 'app' },
            secure: { rule: 'Host(`a.test`)', service: 'app', tls: {} },
            strict: { rule: 'Host(`strict.test`)', service: 'app', tls: { options: 'strict' } },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tls: {
          certificates: [{ certFile: pair.certPem, keyFile: pair.keyPem }],
          options: { strict: { sniStrict: true }, old: { maxVersion: 'VersionTLS12' } },
        },
      },
      ['--entryPoints.web.transport.respondingTimeouts.readTimeout=1s'],
    );
  });

  after(async () => {
    await proxy?.stop();
    await backend?.close();
  });

  const healthy = async () => {
    await assertProxyHealthy(proxy);
    assert.equal((await httpsGet(proxy.port, 'a.test')).status, 200);
  };

  it('cuts a ClientHello that stops half way (the handshake timeout), and serves others meanwhile', {
    timeout: 10_000,
  }, async () => {
    const hello = await clientHello('a.test');
    const { closed, socket } = writeAndWaitForClose(proxy.port, hello.subarray(0, 20));
    assert.equal((await httpsGet(proxy.port, 'a.test')).status, 200);
    await closed;
    socket.destroy();
    await healthy();
  });

  it('cuts a client that sends its ClientHello and never finishes the handshake', { timeout: 10_000 }, async () => {
    const hello = await clientHello('a.test');
    const { closed, socket } = writeAndWaitForClose(proxy.port, hello);
    await closed;
    socket.destroy();
    await healthy();
  });

  it('closes a connection whose first record is garbage after a handshake byte', async () => {
    const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), Buffer.alloc(0x40, 0xee)]);
    const { closed } = writeAndWaitForClose(proxy.port, garbage);
    await closed;
    await healthy();
  });

  it('ends a connection that tries to renegotiate (TLS 1.2), and keeps serving', { timeout: 8_000 }, async () => {
    // Node lets the renegotiation's handshake messages out before the stage's error ends the
    // connection: the client may see it complete, but the connection is closed by the proxy.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: proxy.port,
        servername: 'a.test',
        maxVersion: 'TLSv1.2',
        rejectUnauthorized: false,
      });
      socket.on('data', () => undefined);
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      socket.on('close', () => resolve('closed by the proxy'));
      socket.once('secureConnect', () => {
        if (!socket.renegotiate({ rejectUnauthorized: false }, () => undefined)) resolve('not started');
      });
    });
    assert.match(outcome, /closed by the proxy|error/);
    await healthy();
  });

  it('refuses a name without a certificate under sniStrict with an alert', async () => {
    const result = await handshake(proxy.port, { servername: 'strict.test' });
    assert.equal(result.ok, false);
    await healthy();
  });

  it('serves the default certificate for an absurd server name and for one that is not a name', async () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal((await handshake(proxy.port, { servername: long })).cn, 'TRAEFIK DEFAULT CERT');
    assert.equal((await handshake(proxy.port, { servername: 'x_y..z' })).ok, true);
    await healthy();
  });

  it('a burst of failing handshakes costs a concurrent client nothing', { timeout: 15_000 }, async () => {
    const failing = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? handshake(proxy.port, { servername: 'strict.test' })
        : i % 3 === 1
          ? handshake(proxy.port, { servername: 'a.test', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })
          : writeAndWaitForClose(proxy.port, Buffer.from([0x16, 3, 3, 0, 3, 1, 0, 0])).closed,
    );
    const good = await Promise.all(Array.from({ length: 10 }, () => httpsGet(proxy.port, 'a.test')));
    assert.deepEqual(
      good.map((r) => r.status),
      Array(10).fill(200),
    );
    await Promise.all(failing);
    await waitFor(() => proxy.alive(), { what: 'the proxy to be alive' });
    await healthy();
  });
});
