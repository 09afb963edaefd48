/**
 * Automatic HTTPS through the proxy itself: a real Switchyard (the real assembly, in this
 * process) with two resolvers, pebble validating HTTP-01 against its `web` entry point and
 * TLS-ALPN-01 against its `websecure` one, through forwarders on pebble's ports that hold every
 * validation until the test has seen the default certificate served. A real TLS client then sees
 * pebble's certificates; `/api/acme` and `/api/certificates` show them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { DEFAULT_CERT_CN } from '../../../src/tls/default-certificate.js';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { waitFor } from '../../helpers/http.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';
import { type Forwarder, startForwarder } from './forwarder.js';

let pebble: Pebble;
let backend: Backend;
let proxy: TestProxy;
let httpGate: Forwarder;
let tlsGate: Forwarder;
let websecure: number;
let storage: string;

/** The certificate a real TLS client gets for `servername` on websecure: subject CN, issuer CN, SANs. */
function served(servername: string): Promise<{ subject: string; issuer: string; sans: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: websecure, servername, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve({
        subject: String(peer.subject?.CN ?? ''),
        issuer: String(peer.issuer?.CN ?? ''),
        sans: peer.subjectaltname ?? '',
      });
    });
    socket.once('error', reject);
  });
}

function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  pebble = await startPebble();
  backend = await startBackend('app');
  storage = await mkdtemp(join(tmpdir(), 'switchyard-acme-proxy-'));
  process.env.LEGO_CA_CERTIFICATES = pebble.caFile;
  proxy = await startProxy(
    {
      http: {
        routers: {
          // Matches every path on web, challenges included: the challenge answer comes first.
          catchAll: { rule: 'PathPrefix(`/`)', entryPoints: ['web'], service: 'app' },
          api: { rule: 'Host(`api.test`)', entryPoints: ['web'], service: 'api@internal' },
          app: {
            rule: 'Host(`proxy.example.test`) || Host(`www.proxy.example.test`)',
            entryPoints: ['websecure'],
            service: 'app',
            tls: { certResolver: 'le' },
          },
          alpn: {
            rule: 'Host(`alpn.example.test`)',
            entryPoints: ['websecure'],
            service: 'app',
            tls: { certResolver: 'alpn' },
          },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    },
    [
      '--entryPoints.websecure.address=127.0.0.1:0',
      '--api=true',
      `--certificatesResolvers.le.acme.caServer=${pebble.directory}`,
      '--certificatesResolvers.le.acme.keyType=EC256',
      `--certificatesResolvers.le.acme.storage=${join(storage, 'acme.json')}`,
      '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web',
      `--certificatesResolvers.alpn.acme.caServer=${pebble.directory}`,
      '--certificatesResolvers.alpn.acme.keyType=EC256',
      `--certificatesResolvers.alpn.acme.storage=${join(storage, 'acme.json')}`,
      '--certificatesResolvers.alpn.acme.tlsChallenge=true',
    ],
  );
  websecure = proxy.app.entryPoints.get('websecure')?.port ?? 0;
  // Closed gates: nothing pebble tries can reach the proxy until the test opens them.
  httpGate = await startForwarder(pebble.httpPort, [proxy.port], false);
  tlsGate = await startForwarder(pebble.tlsPort, [websecure], false);
});

after(async () => {
  delete process.env.LEGO_CA_CERTIFICATES;
  await proxy?.stop();
  await httpGate?.close();
  await tlsGate?.close();
  await backend?.close();
  await pebble?.stop();
  if (storage) await rm(storage, { recursive: true, force: true });
});

describe('automatic HTTPS through the proxy', () => {
  it('serves the default certificate until the ACME one arrives', async () => {
    const before = await served('proxy.example.test');
    assert.equal(before.subject, DEFAULT_CERT_CN);
    assert.equal((await served('alpn.example.test')).subject, DEFAULT_CERT_CN);
    const status = proxy.app.options.acme?.status?.();
    assert.deepEqual(status?.resolvers.sort(), ['alpn', 'le']);
    assert.ok(status?.certificates.every((c) => c.state !== 'valid'));
  });

  it('orders over HTTP-01 on web (before routing) and TLS-ALPN-01 on websecure; a real TLS client sees pebble as issuer', async () => {
    httpGate.open();
    tlsGate.open();
    for (const [name, resolver] of [
      ['proxy.example.test', 'le'],
      ['alpn.example.test', 'alpn'],
    ] as const) {
      const issued = await waitFor(
        async () => {
          const failed = proxy.app.options.acme?.status?.().certificates.find((c) => c.state === 'failed');
          if (failed) assert.fail(`${failed.resolver}: ${failed.lastError}\n${pebble.output().slice(-3000)}`);
          const seen = await served(name);
          return /pebble/i.test(seen.issuer) ? seen : undefined;
        },
        { timeout: 90_000, interval: 200, what: `the ${resolver} certificate for ${name}` },
      );
      assert.match(issued.issuer, /Pebble Intermediate/i);
      assert.match(issued.sans, new RegExp(`DNS:${name.replace(/\./g, '\\.')}`));
    }
    assert.match((await served('www.proxy.example.test')).issuer, /Pebble/i);
    assert.ok((httpGate.forwarded.get(proxy.port) ?? 0) > 0, 'pebble validated HTTP-01 through web');
    assert.ok((tlsGate.forwarded.get(websecure) ?? 0) > 0, 'pebble validated TLS-ALPN-01 through websecure');
    // No challenge in progress now: the path is routed as usual.
    const routed = await get(proxy.port, '/.well-known/acme-challenge/none', 'proxy.example.test');
    assert.equal(routed.status, 200);
    assert.match(routed.body, /"backend":"app"/);
  });

  it('shows each certificate in /api/acme (resolver, domains, issuer, not-after) and /api/certificates (source)', async () => {
    // Served just before it is stored (then `valid`).
    await waitFor(() => proxy.app.options.acme?.status?.().certificates.every((c) => c.state === 'valid'), {
      what: 'both certificates valid',
    });
    const acme = JSON.parse((await get(proxy.port, '/api/acme', 'api.test')).body) as {
      certificates: Array<{
        resolver: string;
        domain: { main: string };
        state: string;
        issuer: string;
        notAfter: string;
        wantedBy: string[];
      }>;
    };
    const le = acme.certificates.find((c) => c.resolver === 'le');
    assert.equal(le?.state, 'valid');
    assert.equal(le?.domain.main, 'proxy.example.test');
    assert.match(le?.issuer ?? '', /Pebble/);
    assert.ok(Date.parse(le?.notAfter ?? '') > Date.now());
    assert.deepEqual(le?.wantedBy, ['app@file']);
    const certificates = JSON.parse((await get(proxy.port, '/api/certificates', 'api.test')).body) as Array<{
      source: string;
      usedBy: string[];
    }>;
    assert.deepEqual(certificates.find((c) => c.source === 'alpn')?.usedBy, ['alpn@file']);
  });
});
