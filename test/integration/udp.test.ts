/**
 * UDP routing with real sockets: a UDP entry point (`address: "…/udp"`) forwards datagrams to a
 * UDP echo server and the answers back, one session per client address stays on one server,
 * sessions end after `udp.timeout`, and sessions are spread over the servers.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { startUdpEcho, udpAsk } from '../helpers/tcp.js';

describe('UDP routers', () => {
  let one: Awaited<ReturnType<typeof startUdpEcho>>;
  let two: Awaited<ReturnType<typeof startUdpEcho>>;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    one = await startUdpEcho('one');
    two = await startUdpEcho('two');
    proxy = await startProxy(
      {
        udp: {
          routers: { dns: { service: 'dns', entryPoints: ['dns'] } },
          services: {
            dns: {
              loadBalancer: {
                servers: [{ address: `127.0.0.1:${one.port}` }, { address: `127.0.0.1:${two.port}` }],
              },
            },
          },
        },
      },
      ['--entryPoints.dns.address=127.0.0.1:0/udp', '--entryPoints.dns.udp.timeout=300ms'],
    );
    port = proxy.app.udpEntryPoints.get('dns')?.port ?? 0;
  });

  after(async () => {
    await proxy?.stop(100);
    await one?.close();
    await two?.close();
  });

  test('a datagram goes to a server and its answer comes back; new clients are spread over the servers', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = await udpAsk(port, `q${i}`);
      assert.ok(answer !== null, 'an answer came back');
      assert.match(answer.toString(), new RegExp(`^(one|two):q${i}$`));
      names.add(answer.toString().split(':')[0] ?? '');
    }
    assert.deepEqual([...names].sort(), ['one', 'two']);
  });

  test('one client address keeps its server for the whole session, which ends after udp.timeout', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const answers: string[] = [];
    socket.on('message', (data) => answers.push(data.toString()));
    try {
      for (let i = 0; i < 5; i++) socket.send(`s${i}`, port, '127.0.0.1');
      await waitFor(() => answers.length === 5, { timeout: 2000, what: 'five answers' });
      const servers = new Set(answers.map((a) => a.split(':')[0]));
      assert.equal(servers.size, 1, answers.join(' '));
      const entryPoint = proxy.app.udpEntryPoints.get('dns');
      assert.ok((entryPoint?.sessionCount ?? 0) >= 1);
      await waitFor(() => entryPoint?.sessionCount === 0, { timeout: 3000, what: 'the session to end' });
    } finally {
      socket.close();
    }
    const stats = proxy.app.tcpStats.udpRouters.get('dns@file');
    assert.ok(stats !== undefined && stats.connections >= 5 && stats.bytesIn > 0 && stats.bytesOut > 0);
  });

  test('only the server can answer into a session: datagrams from anyone else are dropped and keep nothing alive', async () => {
    // A server that remembers the proxy's address for the session, then answers.
    const server = createSocket('udp4');
    let sessionPort = 0;
    server.on('message', (data, from) => {
      sessionPort = from.port;
      server.send(`real:${data}`, from.port, from.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const serverPort = (server.address() as { port: number }).port;
    const isolated = await startProxy(
      {
        udp: {
          routers: { echo: { service: 'echo', entryPoints: ['dns'] } },
          services: { echo: { loadBalancer: { servers: [{ address: `127.0.0.1:${serverPort}` }] } } },
        },
      },
      ['--entryPoints.dns.address=127.0.0.1:0/udp', '--entryPoints.dns.udp.timeout=500ms'],
    );
    const client = createSocket('udp4');
    const attacker = createSocket('udp4');
    try {
      const entryPoint = isolated.app.udpEntryPoints.get('dns');
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      const answers: string[] = [];
      client.on('message', (data) => answers.push(data.toString()));
      client.send('hello', entryPoint?.port ?? 0, '127.0.0.1');
      await waitFor(() => answers.length === 1, { timeout: 2000, what: 'the real answer' });
      assert.equal(answers[0], 'real:hello');
      // Forged "answers" sent straight to the session's socket, for longer than udp.timeout.
      for (let i = 0; i < 10; i++) {
        attacker.send(`forged-${i}`, sessionPort, '127.0.0.1');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(answers, ['real:hello']);
      await waitFor(() => entryPoint?.sessionCount === 0, { timeout: 3000, what: 'the session to end on time' });
    } finally {
      client.close();
      attacker.close();
      server.close();
      await isolated.stop(100);
    }
  });
});
