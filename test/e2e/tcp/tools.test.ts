/**
 * TCP and UDP routing with real tools (Debian packages, installed by .ci/run): `dig` asks a small
 * UDP DNS responder through a UDP router, `redis-cli` talks to `redis-server` through a
 * HostSNI(`*`) TCP router, and HAProxy (`accept-proxy`) receives the PROXY header Switchyard
 * sends to a TCP backend and puts the client address in X-Forwarded-For.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { makeCa, makeCertificate } from '../../helpers/certificates.js';
import { waitFor } from '../../helpers/http.js';
import { freePort } from '../../helpers/ports.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';
import { dial } from '../../helpers/tcp.js';

const run = promisify(execFile);

/** A DNS responder answering every A question with 192.0.2.53 (RFC 1035 wire format). */
async function startDnsResponder(): Promise<{ port: number; close(): void }> {
  const socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    // Header (12 bytes), then the question: labels up to a zero byte, then type and class.
    let at = 12;
    while (at < query.length && query[at] !== 0) at += (query[at] as number) + 1;
    const questionEnd = at + 5;
    if (questionEnd > query.length) return;
    const header = Buffer.from(query.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, recursion desired and available, no error
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(1, 6); // one answer
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53]);
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), answer]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

function startChild(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

describe('TCP and UDP routing with Debian tools', () => {
  let dir: string;
  let dns: Awaited<ReturnType<typeof startDnsResponder>>;
  let redis: ChildProcess;
  let redisPort: number;
  let haproxy: ChildProcess;
  let haproxyPort: number;
  let backend: Backend;
  let proxy: TestProxy;
  let caFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-e2e-tcp-'));
    const ca = await makeCa();
    const redisCertificate = await makeCertificate(ca, ['redis.test']);
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    dns = await startDnsResponder();
    backend = await startBackend('behind-haproxy');
    redisPort = await freePort();
    redis = startChild('redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    haproxyPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    await writeFile(
      cfg,
      [
        'defaults',
        '  mode http',
        '  timeout connect 5s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend f',
        `  bind 127.0.0.1:${haproxyPort} accept-proxy`,
        '  option forwardfor',
        '  default_backend b',
        'backend b',
        `  server s ${new URL(backend.url).host}`,
        '',
      ].join('\n'),
    );
    haproxy = startChild('haproxy', ['-f', cfg, '-db']);
    proxy = await startProxy(
      {
        tcp: {
          routers: {
            redis: { rule: 'HostSNI(`*`)', service: 'redis', entryPoints: ['redis'] },
            redisTls: { rule: 'HostSNI(`redis.test`)', service: 'redis', entryPoints: ['web'], tls: {} },
            haproxy: { rule: 'HostSNI(`*`)', service: 'haproxy', entryPoints: ['pp'] },
          },
          services: {
            redis: { loadBalancer: { servers: [{ address: `127.0.0.1:${redisPort}` }] } },
            haproxy: {
              loadBalancer: { servers: [{ address: `127.0.0.1:${haproxyPort}` }], proxyProtocol: { version: 2 } },
            },
          },
        },
        tls: { certificates: [{ certFile: redisCertificate.certPem, keyFile: redisCertificate.keyPem }] },
        udp: {
          routers: { dns: { service: 'dns', entryPoints: ['dns'] } },
          services: { dns: { loadBalancer: { servers: [{ address: `127.0.0.1:${dns.port}` }] } } },
        },
      },
      [
        '--entryPoints.redis.address=127.0.0.1:0',
        '--entryPoints.pp.address=127.0.0.1:0',
        '--entryPoints.pp.proxyProtocol.insecure=true',
        '--entryPoints.dns.address=127.0.0.1:0/udp',
      ],
    );
    const listening = (port: number) => async () => {
      (await dial(port)).destroy();
      return true;
    };
    await waitFor(listening(redisPort), { what: 'redis-server' });
    await waitFor(listening(haproxyPort), { what: 'haproxy' });
  });

  after(async () => {
    await proxy?.stop(100);
    await Promise.all([stopChild(redis), stopChild(haproxy)]);
    dns?.close();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('dig gets an answer from the DNS responder behind a UDP router', async () => {
    const port = proxy.app.udpEntryPoints.get('dns')?.port ?? 0;
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      'switchyard.test',
      'A',
      '+short',
      '+tries=1',
      '+time=3',
    ]);
    assert.equal(stdout.trim(), '192.0.2.53');
  });

  test('redis-cli talks to redis-server through a HostSNI(`*`) TCP router', async () => {
    const port = String(proxy.app.entryPoints.get('redis')?.port ?? 0);
    assert.equal((await run('redis-cli', ['-p', port, 'PING'])).stdout.trim(), 'PONG');
    assert.equal((await run('redis-cli', ['-p', port, 'SET', 'switchyard', 'through'])).stdout.trim(), 'OK');
    assert.equal((await run('redis-cli', ['-p', port, 'GET', 'switchyard'])).stdout.trim(), 'through');
  });

  test('redis-cli --tls reaches a plain redis-server through a TCP router that terminates TLS', async () => {
    const port = String(proxy.port);
    const tls = ['-h', '127.0.0.1', '-p', port, '--tls', '--sni', 'redis.test', '--cacert', caFile];
    assert.equal((await run('redis-cli', [...tls, 'PING'])).stdout.trim(), 'PONG');
    assert.equal((await run('redis-cli', [...tls, 'SET', 'switchyard-tls', 'terminated'])).stdout.trim(), 'OK');
    // The same key read over the plaintext router: one server behind both.
    const plain = String(proxy.app.entryPoints.get('redis')?.port ?? 0);
    assert.equal((await run('redis-cli', ['-p', plain, 'GET', 'switchyard-tls'])).stdout.trim(), 'terminated');
    // openssl's client sees Switchyard's certificate for redis.test, verified against the test CA.
    const opening = run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-servername',
        'redis.test',
        '-CAfile',
        caFile,
        '-verify_return_error',
        '-brief',
      ],
      { timeout: 10_000 },
    );
    opening.child.stdin?.end();
    const shown = await opening.catch((error: { stdout?: string; stderr?: string }) => error);
    assert.match(`${shown.stdout ?? ''}${shown.stderr ?? ''}`, /Verification: OK/);
  });

  test('HAProxy reads the PROXY v2 header Switchyard sends, with the client address from the PROXY header Switchyard received', async () => {
    const port = proxy.app.entryPoints.get('pp')?.port ?? 0;
    const socket = await dial(port);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.write(
      'PROXY TCP4 203.0.113.77 127.0.0.1 41000 80\r\nGET /who HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('close', resolve));
    const answer = Buffer.concat(chunks).toString();
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"x-forwarded-for":"203\.0\.113\.77"/);
  });
});
