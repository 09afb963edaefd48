import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { probeTcp, type TcpProbeSpec } from './tcp-probe.js';

function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    onSocket(socket);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

const spec = (port: number, extra: Partial<TcpProbeSpec> = {}): TcpProbeSpec => ({
  kind: 'tcp',
  host: '127.0.0.1',
  port,
  tls: null,
  send: '',
  expect: '',
  timeout: 2000,
  interval: 1000,
  unhealthyInterval: 1000,
  ...extra,
});

describe('probeTcp', () => {
  const servers: Server[] = [];
  let silent: number;
  let split: number;
  let wrong: number;

  before(async () => {
    const s1 = await listen(() => undefined);
    // Answers PONG in two writes once it has read PING: the probe must wait for the whole answer.
    const s2 = await listen((socket) =>
      socket.once('data', (chunk) => {
        if (chunk.toString() !== 'PING') return;
        socket.write('PO');
        setImmediate(() => socket.write('NG'));
      }),
    );
    const s3 = await listen((socket) => socket.once('data', () => socket.end('PANG')));
    servers.push(s1.server, s2.server, s3.server);
    [silent, split, wrong] = [s1.port, s2.port, s3.port];
  });

  after(() => {
    for (const server of servers) {
      server.close();
      server.unref();
    }
  });

  test('healthy when the connection opens (no send, no expect)', async () => {
    assert.deepEqual(await probeTcp(spec(silent)), { healthy: true, reason: '' });
  });

  test('unhealthy when refused, with the error code', async () => {
    const closed = await listen(() => undefined);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    const result = await probeTcp(spec(port));
    assert.equal(result.healthy, false);
    assert.equal(result.reason, 'ECONNREFUSED');
  });

  test('send then expect: an answer split over packets is awaited whole', async () => {
    assert.deepEqual(await probeTcp(spec(split, { send: 'PING', expect: 'PONG' })), { healthy: true, reason: '' });
  });

  test('a different answer, or a close before the answer, is unhealthy', async () => {
    const result = await probeTcp(spec(wrong, { send: 'PING', expect: 'PONG' }));
    assert.deepEqual(result, { healthy: false, reason: 'unexpected health check response' });
    const short = await probeTcp(spec(wrong, { send: 'PING', expect: 'PANG and more' }));
    assert.deepEqual(short, { healthy: false, reason: 'closed before the expected answer' });
  });

  test('a server that never answers fails at the timeout', async () => {
    const result = await probeTcp(spec(silent, { expect: 'HELLO', timeout: 100 }));
    assert.deepEqual(result, { healthy: false, reason: 'timeout after 100 ms' });
  });
});
