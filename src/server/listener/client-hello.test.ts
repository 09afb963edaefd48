import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import { inspectClientHello, MAX_CLIENT_HELLO_BYTES } from './client-hello.js';

/** The first flight of a real Node TLS client (its ClientHello), captured on a plain TCP server. */
function captureClientHello(servername: string | undefined, alpn: string[] | undefined): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.once('data', (data) => {
        resolve(data);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const client = connect({ port, host: '127.0.0.1', servername, ALPNProtocols: alpn, rejectUnauthorized: false });
      client.on('error', () => undefined);
    });
  });
}

describe('inspectClientHello', () => {
  it('reads SNI and ALPN from a real ClientHello', async () => {
    const hello = await captureClientHello('Alpha.Test.', ['h2', 'http/1.1']);
    assert.deepEqual(inspectClientHello(hello), { kind: 'hello', serverName: 'alpha.test', alpn: ['h2', 'http/1.1'] });
  });

  it('gives an empty name without SNI (a client dialling an IP)', async () => {
    const hello = await captureClientHello(undefined, undefined);
    assert.deepEqual(inspectClientHello(hello), { kind: 'hello', serverName: '', alpn: [] });
  });

  it('asks for more on every proper prefix, byte by byte, then decides', async () => {
    const hello = await captureClientHello('split.test', ['h2']);
    for (let n = 1; n < hello.length; n++)
      assert.equal(inspectClientHello(hello.subarray(0, n)).kind, 'partial', `at ${n}`);
    assert.equal(inspectClientHello(hello).kind, 'hello');
  });

  it('reassembles a ClientHello split over several TLS records', async () => {
    const hello = await captureClientHello('records.test', ['h2']);
    const message = hello.subarray(5);
    const records: Buffer[] = [];
    for (let at = 0; at < message.length; at += 7) {
      const piece = message.subarray(at, at + 7);
      const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
      header.writeUInt16BE(piece.length, 3);
      records.push(header, piece);
    }
    const split = Buffer.concat(records);
    assert.deepEqual(inspectClientHello(split), { kind: 'hello', serverName: 'records.test', alpn: ['h2'] });
    assert.equal(inspectClientHello(split.subarray(0, split.length - 1)).kind, 'partial');
  });

  it('calls anything that does not start with a handshake record plaintext', () => {
    for (const text of ['GET / HTTP/1.1\r\n', 'PING\r\n', '\x00\x01garbage', '\x16\x99\x01']) {
      assert.equal(inspectClientHello(Buffer.from(text, 'latin1')).kind, 'plaintext', JSON.stringify(text));
    }
  });

  it('refuses a handshake record that is not a ClientHello, or one too large', () => {
    const serverHello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]);
    assert.equal(inspectClientHello(serverHello).kind, 'invalid');
    const huge = Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff]);
    assert.equal(inspectClientHello(huge).kind, 'invalid');
    assert.ok(MAX_CLIENT_HELLO_BYTES < 0xffffff);
  });

  it('never throws on random bytes after a handshake record header', () => {
    for (let i = 0; i < 2000; i++) {
      const body = Buffer.from(
        Array.from({ length: 5 + Math.floor(Math.random() * 300) }, () => Math.floor(Math.random() * 256)),
      );
      body[0] = 0x16;
      body[1] = 0x03;
      const verdict = inspectClientHello(body);
      assert.ok(['partial', 'invalid', 'hello', 'plaintext'].includes(verdict.kind));
    }
  });
});
