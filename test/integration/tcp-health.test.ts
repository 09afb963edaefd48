/**
 * TCP health checks (`tcp.services.<s>.loadBalancer.healthCheck`) with real sockets: a server
 * that stops accepting is taken out of rotation by the check and comes back when it listens
 * again; `send`/`expect` mark a server that accepts but answers wrongly DOWN; the API shows
 * Traefik's `serverStatus` per address.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { dial, exchange } from '../helpers/tcp.js';

/** A server answering PING with `pong` and anything else with `<name>:<data>`, on `port` (0: any). */
async function startPingServer(
  name: string,
  pong: string,
  port = 0,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => socket.write(chunk.toString() === 'PING' ? pong : `${name}:${chunk.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Which servers answer `tries` fresh connections. */
async function answering(port: number, tries: number): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const socket = await dial(port);
    const answer = await exchange(socket, `hello${i}`);
    socket.destroy();
    names.add(answer.split(':')[0] ?? '');
  }
  return names;
}

describe('TCP health checks', () => {
  let a: Awaited<ReturnType<typeof startPingServer>>;
  let b: Awaited<ReturnType<typeof startPingServer>>;
  let liar: Awaited<ReturnType<typeof startPingServer>>;
  let bPort: number;
  let proxy: TestProxy;
  let tcpPort: number;
  const health = { send: 'PING', expect: 'PONG', interval: '50ms', timeout: '500ms' };

  before(async () => {
    [a, b, liar] = await Promise.all([
      startPingServer('a', 'PONG'),
      startPingServer('b', 'PONG'),
      startPingServer('liar', 'NOPE'),
    ]);
    bPort = b.port;
    proxy = await startProxy(
      {
        tcp: {
          routers: {
            ab: { rule: 'HostSNI(`*`)', service: 'ab', entryPoints: ['tcp'] },
            checked: { rule: 'HostSNI(`*`)', service: 'checked', entryPoints: ['tcp2'] },
          },
          services: {
            ab: {
              loadBalancer: {
                servers: [{ address: `127.0.0.1:${a.port}` }, { address: `127.0.0.1:${bPort}` }],
                healthCheck: { interval: '50ms', timeout: '500ms' },
              },
            },
            checked: {
              loadBalancer: {
                servers: [{ address: `127.0.0.1:${a.port}` }, { address: `127.0.0.1:${liar.port}` }],
                healthCheck: health,
              },
            },
            broken: {
              loadBalancer: { servers: [{ address: '127.0.0.1:1' }], healthCheck: { interval: '0s' } },
            },
          },
        },
      },
      [
        '--entryPoints.tcp.address=127.0.0.1:0',
        '--entryPoints.tcp2.address=127.0.0.1:0',
        '--entryPoints.traefik.address=127.0.0.1:0',
        '--api.insecure=true',
      ],
    );
    tcpPort = proxy.app.entryPoints.get('tcp')?.port ?? 0;
  });

  after(async () => {
    await proxy?.stop(100);
    await Promise.all([a, b, liar].map((s) => s?.close()));
  });

  const health$ = (port: number) => proxy.app.upstreams.peek(`tcp://127.0.0.1:${port}`)?.activeHealth;

  test('a server that stops accepting is skipped after a failed check and back once it listens again', async () => {
    await waitFor(() => health$(a.port) === 'UP' && health$(bPort) === 'UP', { what: 'both servers UP' });
    assert.deepEqual([...(await answering(tcpPort, 4))].sort(), ['a', 'b']);

    await b.close();
    await waitFor(() => health$(bPort) === 'DOWN', { what: 'b DOWN after its listener closed' });
    // Passive health would also skip b for a second after a refusal: these connections are new
    // ones after the check already took it out, and every one reaches a.
    assert.deepEqual([...(await answering(tcpPort, 6))], ['a']);
    const view = (await (await fetch(`http://127.0.0.1:${apiPort()}/api/tcp/services/ab@file`)).json()) as {
      serverStatus?: Record<string, string>;
    };
    assert.deepEqual(view.serverStatus, { [`127.0.0.1:${a.port}`]: 'UP', [`127.0.0.1:${bPort}`]: 'DOWN' });

    b = await startPingServer('b', 'PONG', bPort);
    await waitFor(() => health$(bPort) === 'UP', { what: 'b UP again' });
    await waitFor(async () => (await answering(tcpPort, 4)).has('b'), { what: 'b taking connections again' });
  });

  test('send/expect: a server that accepts but answers something else is DOWN and takes no connection', async () => {
    await waitFor(() => health$(liar.port) === 'DOWN', { what: 'the liar DOWN' });
    assert.equal(health$(a.port), 'UP');
    const port = proxy.app.entryPoints.get('tcp2')?.port ?? 0;
    assert.deepEqual([...(await answering(port, 4))], ['a']);
  });

  test('a non-positive interval disables the service with an error naming the key', () => {
    const broken = proxy.app.runtime.tcp.services.get('broken@file');
    assert.equal(broken?.status, 'disabled');
    assert.match(
      broken?.errors.join('\n') ?? '',
      /tcp\.services\.broken\.loadBalancer\.healthCheck\.interval: must be positive/,
    );
    const ab = proxy.app.runtime.tcp.services.get('ab@file');
    assert.deepEqual(ab?.errors, [], 'no "not implemented" warning any more');
  });

  function apiPort(): number {
    return proxy.app.entryPoints.get('traefik')?.port ?? 0;
  }
});
