/**
 * WebSockets over HTTP/2 (extended CONNECT, RFC 8441): the entry point's HTTP/2 server announces
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, a `CONNECT` with `:protocol: websocket` reaches an HTTP/1.1
 * WebSocket server (the `ws` package) as an RFC 6455 handshake, and frames cross the stream both
 * ways — over h2c and over TLS (ALPN h2). A server whose 101 does not answer the handshake's key
 * gets the client a 502; a plain CONNECT is still refused.
 */
import assert from 'node:assert/strict';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { type Backend, startBackend } from '../helpers/backends.js';
import { makeCa, makeCertificate, type TestCa } from '../helpers/certificates.js';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** A client text frame (masked, as RFC 6455 requires of clients), payload under 126 bytes. */
function clientFrame(text: string, opcode = 0x1): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

/** Reads server frames (unmasked, short) from a stream until `count` arrived. */
function readFrames(stream: ClientHttp2Stream, count: number): Promise<Array<{ opcode: number; text: string }>> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const frames: Array<{ opcode: number; text: string }> = [];
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = (buffered[1] as number) & 0x7f;
        if (buffered.length < 2 + length) break;
        frames.push({ opcode: (buffered[0] as number) & 0x0f, text: buffered.subarray(2, 2 + length).toString() });
        buffered = buffered.subarray(2 + length);
      }
      if (frames.length >= count) {
        stream.off('data', onData);
        resolve(frames);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** An HTTP/2 session whose peer's SETTINGS have arrived. */
function open(url: string, options: { ca?: string; servername?: string } = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, options);
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

/** Sends an extended CONNECT for a WebSocket and resolves with the answer's headers and the stream. */
function openWebSocket(
  session: ClientHttp2Session,
  path: string,
  authority: string,
  scheme: string,
): Promise<{ headers: IncomingHttpHeaders; stream: ClientHttp2Stream }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':path': path,
      ':scheme': scheme,
      ':authority': authority,
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat, superchat',
      origin: `${scheme}://${authority}`,
    });
    stream.once('response', (headers) => resolve({ headers, stream }));
    stream.once('error', reject);
  });
}

describe('WebSocket over HTTP/2 (extended CONNECT)', () => {
  let backend: Backend;
  let wss: WebSocketServer;
  let liar: Server;
  let proxy: TestProxy;
  let ca: TestCa;
  let securePort: number;

  before(async () => {
    backend = await startBackend('ws', (_req, res) => res.end('plain'));
    wss = new WebSocketServer({ server: backend.server, handleProtocols: (protocols) => [...protocols][1] ?? false });
    wss.on('connection', (socket, req) => {
      socket.on('message', (data) => socket.send(`echo:${data}:${req.headers['x-forwarded-proto']}`));
    });
    // Answers every request with a 101 that ignores the handshake's key.
    liar = createServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSBhbnN3ZXI=\r\n\r\n',
        );
      });
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    ca = await makeCa();
    const pair = await makeCertificate(ca, ['ws.test']);
    proxy = await startProxy(
      {
        http: {
          routers: {
            plain: { rule: 'PathPrefix(`/ws`)', service: 'ws', entryPoints: ['web'] },
            secure: { rule: 'Host(`ws.test`)', service: 'ws', entryPoints: ['websecure'], tls: {} },
            liar: { rule: 'PathPrefix(`/liar`)', service: 'liar', entryPoints: ['web'] },
          },
          services: {
            ws: { loadBalancer: { servers: [{ url: backend.url }] } },
            liar: {
              loadBalancer: { servers: [{ url: `http://127.0.0.1:${(liar.address() as { port: number }).port}` }] },
            },
          },
        },
        tls: { certificates: [{ certFile: pair.certPem, keyFile: pair.keyPem }] },
      },
      [
        '--entryPoints.websecure.address=127.0.0.1:0',
        // Short, so an idle conversation outlives it: a tunnel is not a stalled request body.
        '--entryPoints.web.transport.respondingTimeouts.readTimeout=400ms',
        // And an idle connection is closed sooner than the conversation's silence lasts: one with
        // a stream open is not idle.
        '--entryPoints.web.transport.respondingTimeouts.idleTimeout=600ms',
      ],
    );
    securePort = proxy.app.entryPoints.get('websecure')?.port ?? 0;
  });

  after(async () => {
    wss.close();
    await proxy.stop();
    await backend.close();
    await new Promise<void>((resolve) => liar.close(() => resolve()));
  });

  it('announces extended CONNECT and carries a WebSocket conversation over h2c', async () => {
    const session = await open(`http://127.0.0.1:${proxy.port}`);
    try {
      assert.equal(session.remoteSettings.enableConnectProtocol, true);
      let goaway = false;
      session.on('goaway', () => {
        goaway = true;
      });
      const { headers, stream } = await openWebSocket(session, '/ws/chat', `127.0.0.1:${proxy.port}`, 'http');
      assert.equal(headers[':status'], 200);
      assert.equal(headers['sec-websocket-protocol'], 'superchat');
      assert.equal(headers['sec-websocket-accept'], undefined);
      const replies = readFrames(stream, 2);
      stream.write(clientFrame('one'));
      // Silence longer than readTimeout, then the conversation goes on.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(stream.closed, false, 'the tunnel outlives readTimeout and idleTimeout');
      assert.equal(goaway, false, 'a connection with an open stream is not idle');
      stream.write(clientFrame('two'));
      assert.deepEqual(
        (await replies).map((f) => f.text),
        ['echo:one:http', 'echo:two:http'],
      );
      // A close frame from the client: the server answers with its own and ends the stream.
      const closing = readFrames(stream, 1);
      stream.write(clientFrame('', 0x8));
      assert.equal((await closing)[0]?.opcode, 0x8);
      await new Promise((resolve) => stream.once('close', resolve));
    } finally {
      session.close();
    }
  });

  it('carries it over TLS (ALPN h2)', async () => {
    const session = await open(`https://127.0.0.1:${securePort}`, { ca: ca.certPem, servername: 'ws.test' });
    try {
      const { headers, stream } = await openWebSocket(session, '/chat', 'ws.test', 'https');
      assert.equal(headers[':status'], 200);
      const replies = readFrames(stream, 1);
      stream.write(clientFrame('secure'));
      assert.equal((await replies)[0]?.text, 'echo:secure:https');
      stream.close();
    } finally {
      session.close();
    }
  });

  it('closes the server side when the client resets the stream or drops the session mid-tunnel', async () => {
    const session = await open(`http://127.0.0.1:${proxy.port}`);
    const tunnels = await Promise.all(
      [1, 2, 3].map(() => openWebSocket(session, '/ws/many', `127.0.0.1:${proxy.port}`, 'http')),
    );
    for (const { headers } of tunnels) assert.equal(headers[':status'], 200);
    await waitFor(() => wss.clients.size === 3, { what: 'three tunnels at the server' });
    (tunnels[0] as { stream: ClientHttp2Stream }).stream.close(constants.NGHTTP2_CANCEL);
    await waitFor(() => wss.clients.size === 2, { what: 'the reset tunnel closed at the server' });
    session.destroy();
    await waitFor(() => wss.clients.size === 0, { what: 'every tunnel closed at the server' });
  });

  it('answers 502 when the server switches protocols without answering the key', async () => {
    const session = await open(`http://127.0.0.1:${proxy.port}`);
    try {
      const { headers } = await openWebSocket(session, '/liar', `127.0.0.1:${proxy.port}`, 'http');
      assert.equal(headers[':status'], 502);
    } finally {
      session.close();
    }
  });

  it('still refuses a plain CONNECT with 405', async () => {
    const session = await open(`http://127.0.0.1:${proxy.port}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':method': 'CONNECT', ':authority': 'example.test:443' });
        stream.once('response', (headers) => resolve(Number(headers[':status'])));
        stream.once('error', reject);
      });
      assert.equal(status, 405);
    } finally {
      session.close();
    }
  });
});
