/**
 * Hostile input at the TCP and UDP edge: garbage before a ClientHello, a ClientHello split over
 * many packets, a ClientHello that never completes, malformed PROXY headers, oversized UDP
 * datagrams, and UDP floods from one host (many source ports) and one source (one port): each is
 * handled (routed, refused or dropped) without a crash, and state stays bounded.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect as connectTcp, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { MAX_SESSIONS_PER_IP } from '../../src/udp/proxy.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { type PemPair, selfSigned } from '../helpers/self-signed.js';
import { closedWithin, dial, type Listening, startTcpEcho, startTlsEcho, udpAsk } from '../helpers/tcp.js';

/** The bytes of a real ClientHello for `servername`, captured from Node's TLS client by a local listener. */
async function captureClientHello(servername: string): Promise<Buffer> {
  let client: ReturnType<typeof connectTls> | undefined;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer>((resolve) => {
      server.once('connection', (socket) => {
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        });
      });
      client = connectTls({
        port: (server.address() as { port: number }).port,
        host: '127.0.0.1',
        servername,
        rejectUnauthorized: false,
      });
      client.on('error', () => undefined);
    });
  } finally {
    client?.destroy();
    server.close();
  }
}

/** A relay to `port` that writes the client's first `split` bytes one per packet, a few ms apart. */
async function splittingRelay(port: number, split: number): Promise<{ port: number; close(): void }> {
  const server = createServer((client) => {
    const upstream = connectTcp(port, '127.0.0.1');
    upstream.setNoDelay(true);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.pipe(client);
    let sent = 0;
    const queue: Buffer[] = [];
    let draining = false;
    const drain = async () => {
      draining = true;
      while (queue.length > 0) {
        const chunk = queue.shift() as Buffer;
        for (let i = 0; i < chunk.length; i++) {
          if (sent < split) {
            upstream.write(chunk.subarray(i, i + 1));
            sent++;
            await new Promise((resolve) => setTimeout(resolve, 2));
          } else {
            upstream.write(chunk.subarray(i));
            break;
          }
        }
      }
      draining = false;
    };
    client.on('data', (chunk) => {
      queue.push(chunk);
      if (!draining) void drain();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

function tlsSubject(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().subject?.CN ?? ''));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('hostile input before TCP routing', () => {
  let cert: PemPair;
  let backend: Listening<import('node:tls').Server>;
  let http: Backend;
  let plain: Listening<import('node:net').Server>;
  let proxy: TestProxy;

  before(async () => {
    cert = await selfSigned(['secret.test']);
    backend = await startTlsEcho('secret', cert);
    plain = await startTcpEcho('plain');
    http = await startBackend('http');
    proxy = await startProxy(
      {
        http: {
          routers: { web: { rule: 'PathPrefix(`/`)', service: 'web' } },
          services: { web: { loadBalancer: { servers: [{ url: http.url }] } } },
        },
        tcp: {
          routers: {
            secret: { rule: 'HostSNI(`secret.test`)', service: 'secret', tls: { passthrough: true } },
            // Terminated here: what reaches `plain` is decrypted, so nothing may before a handshake ends.
            term: { rule: 'HostSNI(`term.test`)', service: 'plain', tls: {} },
          },
          services: {
            secret: { loadBalancer: { servers: [{ address: `127.0.0.1:${backend.port}` }] } },
            plain: { loadBalancer: { servers: [{ address: `127.0.0.1:${plain.port}` }] } },
          },
        },
      },
      [
        // The stalled ClientHello case has its own entry point with a short read timeout, so that
        // the slow-but-complete split ClientHello is not cut on a loaded machine.
        '--entryPoints.slow.address=127.0.0.1:0',
        '--entryPoints.slow.transport.respondingTimeouts.readTimeout=800ms',
        '--entryPoints.pp.address=127.0.0.1:0',
        '--entryPoints.pp.proxyProtocol.insecure=true',
      ],
    );
  });

  after(async () => {
    await proxy?.stop(100);
    await backend?.close();
    await plain?.close();
    await http?.close();
  });

  test('a terminating TCP router: a handshake that stalls after the ClientHello is cut, nothing reaches the service', async () => {
    const hello = await captureClientHello('term.test');
    const socket = await dial(proxy.app.entryPoints.get('slow')?.port ?? 0);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.write(hello);
    assert.ok(await closedWithin(socket, 10_000), 'the stalled handshake was cut');
    assert.equal(plain.accepted.length, 0);
  });

  test('a terminating TCP router: garbage after the ClientHello fails the handshake; the router still serves', async () => {
    const hello = await captureClientHello('term.test');
    const socket = await dial(proxy.port);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.write(Buffer.concat([hello, Buffer.from('\x17\x03\x03\x00\x05garbage-not-a-handshake')]));
    assert.ok(await closedWithin(socket, 5000), 'the broken handshake was closed');
    assert.equal(plain.accepted.length, 0);
    const answer = await new Promise<string>((resolve, reject) => {
      const tls = connectTls(
        { port: proxy.port, host: '127.0.0.1', servername: 'term.test', rejectUnauthorized: false },
        () => tls.write('after'),
      );
      tls.once('data', (chunk) => {
        resolve(chunk.toString());
        tls.destroy();
      });
      tls.once('error', reject);
    });
    assert.equal(answer, 'plain:after');
  });

  test('garbage before a ClientHello is plaintext: HTTP answers 400, the TLS backend never sees it', async () => {
    const socket = await dial(proxy.port);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.write(
      Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n\x00garbage'), Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10])]),
    );
    assert.ok(await closedWithin(socket, 5000));
    assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 400/);
    assert.equal(backend.accepted.length, 0);
  });

  test('a ClientHello split over a hundred packets is reassembled and routed by its SNI', async () => {
    const relay = await splittingRelay(proxy.port, 100);
    try {
      assert.equal(await tlsSubject(relay.port, 'secret.test'), 'secret.test');
    } finally {
      relay.close();
    }
  });

  test('a ClientHello that never completes is cut after the read timeout', async () => {
    const socket = await dial(proxy.app.entryPoints.get('slow')?.port ?? 0);
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]));
    assert.ok(await closedWithin(socket, 10_000), 'the stalled handshake was cut');
  });

  test('a malformed or oversized PROXY header is refused, and the proxy keeps serving', async () => {
    const port = proxy.app.entryPoints.get('pp')?.port ?? 0;
    for (const bad of ['PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n', `PROXY ${'9'.repeat(200)}`, 'PROXY TCP9 a b c d\r\n']) {
      const socket: Socket = await dial(port);
      socket.on('error', () => undefined);
      socket.write(bad);
      assert.ok(await closedWithin(socket, 5000), JSON.stringify(bad));
    }
    const ok = await fetch(`${proxy.url}/after`);
    assert.equal(ok.status, 200);
  });
});

describe('hostile UDP clients', () => {
  let server: DgramSocket;
  let serverPort: number;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    server = createSocket('udp4');
    server.on('message', (data, from) => server.send(data, from.port, from.address));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    serverPort = server.address().port;
    proxy = await startProxy(
      {
        udp: {
          routers: { r: { service: 's' } },
          services: { s: { loadBalancer: { servers: [{ address: `127.0.0.1:${serverPort}` }] } } },
        },
      },
      ['--entryPoints.udp.address=127.0.0.1:0/udp', '--entryPoints.udp.udp.timeout=10s'],
    );
    port = proxy.app.udpEntryPoints.get('udp')?.port ?? 0;
  });

  after(async () => {
    await proxy?.stop(100);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the largest datagram UDP allows goes through whole; the entry point keeps serving', async () => {
    const big = Buffer.alloc(65_507, 7);
    const answer = await udpAsk(port, big, 3000);
    assert.ok(answer === null || answer.equals(big), 'whole or dropped, never cut');
    assert.equal((await udpAsk(port, 'small'))?.toString(), 'small');
  });

  test('a flood from one source port holds one session', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const before = proxy.app.udpEntryPoints.get('udp')?.sessionCount ?? 0;
    let answers = 0;
    socket.on('message', () => answers++);
    for (let i = 0; i < 5000; i++) socket.send('x', port, '127.0.0.1');
    await waitFor(() => answers > 0, { what: 'an answer to the flood' });
    const entryPoint = proxy.app.udpEntryPoints.get('udp');
    assert.equal(entryPoint?.sessionCount, before + 1, JSON.stringify(entryPoint?.drops));
    socket.close();
  });

  test(`a flood from many source ports of one host holds at most ${MAX_SESSIONS_PER_IP} sessions`, async () => {
    const sockets: DgramSocket[] = [];
    try {
      for (let i = 0; i < MAX_SESSIONS_PER_IP + 60; i++) {
        const socket = createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        socket.on('message', () => undefined);
        sockets.push(socket);
        socket.send('hello', port, '127.0.0.1');
        // Paced, so the kernel's receive buffer (a few hundred small datagrams) does not drop them first.
        if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const entryPoint = proxy.app.udpEntryPoints.get('udp');
      await waitFor(() => (entryPoint?.drops.sessionLimit ?? 0) > 0, { what: 'sessions refused' });
      assert.ok((entryPoint?.sessionCount ?? 0) <= MAX_SESSIONS_PER_IP, String(entryPoint?.sessionCount));
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});
