/**
 * TCP routing with real sockets: a HostSNI(`*`) router in front of echo servers, TLS passthrough
 * between two TLS backends by SNI (the client sees each backend's own certificate), HTTP still
 * served beside TCP routers on one entry point, PROXY v1/v2 written to a receiver, refused
 * servers skipped, and a scale-down under open connections.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { type PemPair, selfSigned } from '../helpers/self-signed.js';
import {
  closedWithin,
  dial,
  exchange,
  type Listening,
  startTcpEcho,
  startTcpServer,
  startTlsEcho,
} from '../helpers/tcp.js';

/** The certificate a TLS client to `port` with SNI `servername` is shown, and what the server echoes. */
function tlsAsk(port: number, servername: string, text: string): Promise<{ subject: string; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      const subject = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.once('data', (chunk) => {
        resolve({ subject, answer: chunk.toString() });
        socket.destroy();
      });
      socket.write(text);
    });
    socket.once('error', reject);
  });
}

describe('TCP routers', () => {
  let a: Listening<import('node:net').Server>;
  let b: Listening<import('node:net').Server>;
  let tlsA: Listening<import('node:tls').Server>;
  let tlsB: Listening<import('node:tls').Server>;
  let certA: PemPair;
  let certB: PemPair;
  let http: Backend;
  let proxy: TestProxy;
  let tcpPort: number;
  const config = () => ({
    http: {
      routers: { web: { rule: 'Host(`web.test`)', service: 'web', entryPoints: ['web'] } },
      services: { web: { loadBalancer: { servers: [{ url: http.url }] } } },
    },
    tcp: {
      routers: {
        raw: { rule: 'HostSNI(`*`)', service: 'echo', entryPoints: ['tcp'] },
        alpha: { rule: 'HostSNI(`alpha.test`)', service: 'tlsA', entryPoints: ['web'], tls: { passthrough: true } },
        beta: {
          rule: 'HostSNI(`*.beta.test`) || HostSNIRegexp(`^b[0-9]+\\.test$`)',
          service: 'tlsB',
          entryPoints: ['web'],
          tls: { passthrough: true },
        },
      },
      services: {
        echo: { loadBalancer: { servers: [{ address: `127.0.0.1:${a.port}` }, { address: `127.0.0.1:${b.port}` }] } },
        tlsA: { loadBalancer: { servers: [{ address: `127.0.0.1:${tlsA.port}` }] } },
        tlsB: { loadBalancer: { servers: [{ address: `127.0.0.1:${tlsB.port}` }] } },
      },
    },
  });

  before(async () => {
    [certA, certB] = await Promise.all([selfSigned(['alpha.test']), selfSigned(['*.beta.test', 'b1.test'])]);
    [a, b, tlsA, tlsB, http] = await Promise.all([
      startTcpEcho('a'),
      startTcpEcho('b'),
      startTlsEcho('tls-a', certA),
      startTlsEcho('tls-b', certB),
      startBackend('http'),
    ]);
    proxy = await startProxy(config(), [
      '--entryPoints.tcp.address=127.0.0.1:0',
      '--api.insecure=true',
      '--entryPoints.traefik.address=127.0.0.1:0',
      '--metrics.prometheus=true',
    ]);
    tcpPort = proxy.app.entryPoints.get('tcp')?.port ?? 0;
  });

  after(async () => {
    await proxy?.stop(200);
    await Promise.all([a, b, tlsA, tlsB].map((s) => s?.close()));
    await http?.close();
  });

  test('HostSNI(`*`) forwards raw TCP, round robin over the servers, both ways', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const socket = await dial(tcpPort);
      const answer = await exchange(socket, `hello${i}`);
      answers.add(answer.split(':')[0] ?? '');
      assert.match(answer, new RegExp(`^[ab]:hello${i}$`));
      socket.destroy();
    }
    assert.deepEqual([...answers].sort(), ['a', 'b']);
  });

  test('a half-close travels through: the answer to the last bytes still comes back', async () => {
    const socket = await dial(tcpPort);
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    socket.end('last words');
    await new Promise((resolve) => socket.once('close', resolve));
    assert.match(Buffer.concat(received).toString(), /^[ab]:last words$/);
  });

  test('TLS passthrough by SNI: each client sees its backend’s own certificate', async () => {
    const alpha = await tlsAsk(proxy.port, 'alpha.test', 'ping');
    assert.equal(alpha.subject, 'alpha.test');
    assert.equal(alpha.answer, 'tls-a:ping');
    const beta = await tlsAsk(proxy.port, 'x.beta.test', 'pong');
    assert.equal(beta.subject, '*.beta.test');
    assert.equal(beta.answer, 'tls-b:pong');
    const regexp = await tlsAsk(proxy.port, 'b7.test', 'again');
    assert.equal(regexp.answer, 'tls-b:again');
  });

  test('plaintext HTTP on the same entry point still reaches the HTTP routers', async () => {
    const response = await send(`${proxy.url}/hello`, { headers: { host: 'web.test' } });
    assert.equal(response.status, 200);
  });

  test('a ClientHello no TCP router takes goes to the HTTPS path (HTTP until TLS is wired), never to a TCP backend', async () => {
    const before = tlsA.accepted.length + tlsB.accepted.length;
    await assert.rejects(tlsAsk(proxy.port, 'nobody.test', 'x'));
    assert.equal(tlsA.accepted.length + tlsB.accepted.length, before);
  });

  test('the API shows the TCP routers enabled, with their service', async () => {
    const port = proxy.app.entryPoints.get('traefik')?.port;
    const response = await send(`http://127.0.0.1:${port}/api/tcp/routers/alpha@file`);
    const json = JSON.parse(response.body.toString()) as { status: string; service: string; error?: string[] };
    assert.equal(json.status, 'enabled', JSON.stringify(json));
    assert.equal(json.error, undefined);
  });

  test('statistics count connections and bytes each way per router and service, in /metrics too', async () => {
    const raw = proxy.app.tcpStats.routers.get('raw@file');
    assert.ok(raw !== undefined && raw.connections >= 5, JSON.stringify(raw));
    assert.ok(raw.bytesIn > 0 && raw.bytesOut > raw.bytesIn);
    assert.ok(proxy.app.tcpStats.services.get('echo@file')?.connections);
    const port = proxy.app.entryPoints.get('traefik')?.port;
    const metrics = (await send(`http://127.0.0.1:${port}/metrics`)).body.toString();
    assert.match(metrics, /switchyard_tcp_router_connections_total\{router="raw@file"\} ([5-9]|\d\d+)/);
    assert.match(metrics, /switchyard_tcp_service_connections_bytes_out_total\{service="echo@file"\} [1-9]/);
  });
});

describe('TCP services', () => {
  test('a refusing server is skipped: the connection goes to the other, and the next ones too', async () => {
    const alive = await startTcpEcho('alive');
    const dead = await freePort();
    const proxy = await startProxy(
      {
        tcp: {
          routers: { r: { rule: 'HostSNI(`*`)', service: 's', entryPoints: ['tcp'] } },
          services: {
            s: {
              loadBalancer: { servers: [{ address: `127.0.0.1:${dead}` }, { address: `127.0.0.1:${alive.port}` }] },
            },
          },
        },
      },
      ['--entryPoints.tcp.address=127.0.0.1:0'],
    );
    try {
      const port = proxy.app.entryPoints.get('tcp')?.port ?? 0;
      for (let i = 0; i < 4; i++) {
        const socket = await dial(port);
        assert.equal(await exchange(socket, `n${i}`), `alive:n${i}`);
        socket.destroy();
      }
      const state = proxy.app.upstreams.peek(`tcp://127.0.0.1:${dead}`);
      assert.equal(state?.failures, 1, 'dialled once, then skipped');
    } finally {
      await proxy.stop(100);
      await alive.close();
    }
  });

  test('PROXY protocol v1 and v2 to the server: a receiver written with net reads the client address', async () => {
    const seen: string[] = [];
    const receiver = await startTcpServer((socket: Socket) => {
      // The header and the client's bytes may arrive in one chunk or several.
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (!buffered.toString('latin1').includes('payload')) return;
        seen.push(describeProxyHeader(buffered));
        socket.end('ok');
      });
    });
    const proxy = await startProxy(
      {
        tcp: {
          routers: {
            v1: { rule: 'HostSNI(`*`)', service: 'v1', entryPoints: ['one'] },
            v2: { rule: 'HostSNI(`*`)', service: 'v2', entryPoints: ['two'] },
          },
          services: {
            v1: {
              loadBalancer: { servers: [{ address: `127.0.0.1:${receiver.port}` }], proxyProtocol: { version: 1 } },
            },
            v2: { loadBalancer: { servers: [{ address: `127.0.0.1:${receiver.port}` }], serversTransport: 'pp' } },
          },
          serversTransports: { pp: { proxyProtocol: { version: 2 } } },
        },
      },
      ['--entryPoints.one.address=127.0.0.1:0', '--entryPoints.two.address=127.0.0.1:0'],
    );
    try {
      for (const name of ['one', 'two']) {
        const socket = await dial(proxy.app.entryPoints.get(name)?.port ?? 0);
        assert.equal(await exchange(socket, 'payload'), 'ok');
        socket.destroy();
      }
      assert.match(seen[0] ?? '', /^v1 TCP4 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ then "payload"$/);
      assert.match(seen[1] ?? '', /^v2 TCP4 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ then "payload"$/);
    } finally {
      await proxy.stop(100);
      await receiver.close();
    }
  });

  test('scale-down under open connections: open ones finish, new ones go to the servers left', async () => {
    const one = await startTcpEcho('one');
    const two = await startTcpEcho('two');
    const servers = (ports: number[]) => ({
      tcp: {
        routers: { r: { rule: 'HostSNI(`*`)', service: 's', entryPoints: ['tcp'] } },
        services: { s: { loadBalancer: { servers: ports.map((p) => ({ address: `127.0.0.1:${p}` })) } } },
      },
    });
    const proxy = await startProxy(servers([one.port, two.port]), ['--entryPoints.tcp.address=127.0.0.1:0']);
    try {
      const port = proxy.app.entryPoints.get('tcp')?.port ?? 0;
      const open: Socket[] = [];
      const owners: string[] = [];
      for (let i = 0; i < 2; i++) {
        const socket = await dial(port);
        owners.push((await exchange(socket, 'hi')).split(':')[0] ?? '');
        open.push(socket);
      }
      assert.deepEqual(owners.sort(), ['one', 'two']);
      await proxy.update(servers([one.port]));
      const state = proxy.app.upstreams.peek(`tcp://127.0.0.1:${two.port}`);
      assert.equal(state?.draining, true, 'the removed server drains');
      // The open connection to the removed server still works within the grace period.
      for (const socket of open) assert.match(await exchange(socket, 'still'), /^(one|two):still$/);
      for (let i = 0; i < 3; i++) {
        const socket = await dial(port);
        assert.equal(await exchange(socket, 'new'), 'one:new');
        socket.destroy();
      }
      for (const socket of open) socket.destroy();
    } finally {
      await proxy.stop(100);
      await one.close();
      await two.close();
    }
  });

  test('ipAllowList closes connections from other addresses; inFlightConn caps them per client', async () => {
    const echo = await startTcpEcho('e');
    const proxy = await startProxy(
      {
        tcp: {
          routers: {
            denied: { rule: 'HostSNI(`*`)', service: 's', entryPoints: ['denied'], middlewares: ['elsewhere'] },
            capped: { rule: 'HostSNI(`*`)', service: 's', entryPoints: ['capped'], middlewares: ['one'] },
          },
          middlewares: {
            elsewhere: { ipAllowList: { sourceRange: ['192.0.2.0/24'] } },
            one: { inFlightConn: { amount: 1 } },
          },
          services: { s: { loadBalancer: { servers: [{ address: `127.0.0.1:${echo.port}` }] } } },
        },
      },
      ['--entryPoints.denied.address=127.0.0.1:0', '--entryPoints.capped.address=127.0.0.1:0'],
    );
    try {
      const denied = await dial(proxy.app.entryPoints.get('denied')?.port ?? 0);
      assert.equal(await exchange(denied, 'x'), '');
      const cappedPort = proxy.app.entryPoints.get('capped')?.port ?? 0;
      const first = await dial(cappedPort);
      assert.equal(await exchange(first, 'x'), 'e:x');
      const second = await dial(cappedPort);
      assert.equal(await exchange(second, 'y'), '');
      first.destroy();
      await closedWithin(first, 1000);
      // Once the first closed, a new connection is let through.
      let third = '';
      for (let i = 0; i < 20 && third === ''; i++) {
        const socket = await dial(cappedPort);
        third = await exchange(socket, 'z');
        socket.destroy();
      }
      assert.equal(third, 'e:z');
    } finally {
      await proxy.stop(100);
      await echo.close();
    }
  });
});

/** Reads a PROXY header (v1 or v2) the way a receiver would, independently of Switchyard's code. */
function describeProxyHeader(data: Buffer): string {
  const signature = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
  if (data.subarray(0, 12).equals(signature)) {
    const family = data[13] === 0x11 ? 'TCP4' : String(data[13]);
    const length = data.readUInt16BE(14);
    const body = data.subarray(16, 16 + length);
    const src = `${[...body.subarray(0, 4)].join('.')}:${body.readUInt16BE(8)}`;
    const dst = `${[...body.subarray(4, 8)].join('.')}:${body.readUInt16BE(10)}`;
    return `v2 ${family} ${src} -> ${dst} then ${JSON.stringify(data.subarray(16 + length).toString())}`;
  }
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n');
  const [, family, src, dst, sport, dport] = text.slice(0, end).split(' ');
  return `v1 ${family} ${src}:${sport} -> ${dst}:${dport} then ${JSON.stringify(text.slice(end + 2))}`;
}
