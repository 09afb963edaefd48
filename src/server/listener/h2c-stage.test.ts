import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createH2cStage, H2_PREFACE, isH2Preface, prefaceDecided } from './h2c-stage.js';
import { readPrefix } from './peek.js';

/** A listener whose accepted sockets go to `handler`; resolves with its port and a closer. */
async function listen(handler: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    handler(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads everything the next stage sees on `socket` until `bytes` arrived. */
function readAll(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) resolve(Buffer.concat(chunks));
    });
    socket.resume();
  });
}

describe('the h2c stage', () => {
  it('decides on the first differing byte, or on the whole preface', () => {
    assert.equal(prefaceDecided(Buffer.from('G')), true);
    assert.equal(prefaceDecided(Buffer.from('PRI * HTTP/2')), false);
    assert.equal(prefaceDecided(Buffer.from('PRI * HTTP/1.1')), true);
    assert.equal(prefaceDecided(H2_PREFACE), true);
    assert.equal(isH2Preface(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0])])), true);
    assert.equal(isH2Preface(Buffer.from('PRI * HTTP/2.0\r\n\r\n')), false);
  });

  it('puts the peeked bytes back: the next stage reads the connection from its first byte', async () => {
    const message = Buffer.concat([Buffer.from('PRI * HT'), Buffer.from('TP/2.0\r\n\r\nSM\r\n\r\nrest of the stream')]);
    let seen: Promise<Buffer> | null = null;
    const server = await listen((socket) => {
      seen = readPrefix(socket, prefaceDecided, 1000, H2_PREFACE.length).then(() => readAll(socket, message.length));
    });
    const client = connect(server.port, '127.0.0.1');
    // In two writes, so the peek has to wait for the second one.
    client.write(message.subarray(0, 8));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.write(message.subarray(8));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await (seen as unknown as Promise<Buffer>), message);
    client.destroy();
    await server.close();
  });

  it('hands a preface to the HTTP/2 handler and anything else to the HTTP/1.1 one', async () => {
    const chosen: string[] = [];
    const stage = createH2cStage(
      (socket) => {
        chosen.push('http1');
        socket.destroy();
      },
      (socket) => {
        chosen.push('http2');
        socket.destroy();
      },
      1000,
    );
    const server = await listen(stage);
    for (const bytes of [H2_PREFACE, Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from('PRI * HTTP/1.1\r\n\r\n')]) {
      const client = connect(server.port, '127.0.0.1');
      client.on('error', () => {});
      client.end(bytes);
      await new Promise((resolve) => client.once('close', resolve));
    }
    assert.deepEqual(chosen, ['http2', 'http1', 'http1']);
    await server.close();
  });

  it('closes a connection that sends nothing within the timeout, and one that closes mid-preface', async () => {
    let handed = 0;
    const stage = createH2cStage(
      () => handed++,
      () => handed++,
      100,
    );
    const server = await listen(stage);
    const silent = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => silent.once('close', resolve));
    const partial = connect(server.port, '127.0.0.1');
    partial.on('error', () => {});
    partial.end('PRI * HTTP/2');
    await new Promise((resolve) => partial.once('close', resolve));
    assert.equal(handed, 0);
    await server.close();
  });
});
