/**
 * Two more things that ask a resolver for certificates, through a real Switchyard (the real
 * assembly, in this process) against pebble: `tls.stores.default.defaultGeneratedCert`, whose
 * certificate becomes the one served without SNI (or for an unknown name) once issued, and a TCP
 * router with `tls.certResolver`, whose `HostSNI` name is ordered and served by the TLS-terminating
 * TCP router in front of a plain TCP echo server. HTTP-01 reaches the `web` entry point through a
 * forwarder held closed until the test has seen the generated default certificate.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';
import { DEFAULT_CERT_CN } from '../../../src/tls/default-certificate.js';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { waitFor } from '../../helpers/http.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';
import { type Listening, startTcpEcho } from '../../helpers/tcp.js';
import { type Forwarder, startForwarder } from './forwarder.js';

let pebble: Pebble;
let backend: Backend;
let echo: Listening<Server>;
let proxy: TestProxy;
let httpGate: Forwarder;
let websecure: number;
let storage: string;

/** A TLS handshake on websecure (no SNI when `servername` is undefined); `send` is written and the first answer read. */
function handshake(servername?: string, send?: string): Promise<{ peer: PeerCertificate; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: websecure,
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername }),
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      if (send === undefined) {
        socket.destroy();
        resolve({ peer, answer: '' });
        return;
      }
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve({ peer, answer: chunk.toString('latin1') });
      });
      socket.write(send);
    });
    socket.once('error', reject);
  });
}

const issuerOf = (peer: PeerCertificate) => String(peer.issuer?.CN ?? '');

before(async () => {
  pebble = await startPebble();
  backend = await startBackend('app');
  echo = await startTcpEcho('echo');
  storage = await mkdtemp(join(tmpdir(), 'switchyard-acme-default-'));
  process.env.LEGO_CA_CERTIFICATES = pebble.caFile;
  proxy = await startProxy(
    {
      http: {
        routers: {
          // An HTTPS router on websecure, so a handshake no TCP router takes is answered there.
          app: { rule: 'Host(`app.example.test`)', entryPoints: ['websecure'], service: 'app', tls: {} },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
      tcp: {
        routers: {
          echo: {
            rule: 'HostSNI(`tcp.example.test`)',
            entryPoints: ['websecure'],
            service: 'echo',
            tls: { certResolver: 'le' },
          },
        },
        services: { echo: { loadBalancer: { servers: [{ address: `127.0.0.1:${echo.port}` }] } } },
      },
      tls: {
        stores: {
          default: {
            defaultGeneratedCert: {
              resolver: 'le',
              domain: { main: 'default.example.test', sans: ['alt.example.test'] },
            },
          },
        },
      },
    },
    [
      '--entryPoints.websecure.address=127.0.0.1:0',
      `--certificatesResolvers.le.acme.caServer=${pebble.directory}`,
      '--certificatesResolvers.le.acme.keyType=EC256',
      `--certificatesResolvers.le.acme.storage=${join(storage, 'acme.json')}`,
      '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web',
    ],
  );
  websecure = proxy.app.entryPoints.get('websecure')?.port ?? 0;
  httpGate = await startForwarder(pebble.httpPort, [proxy.port], false);
});

after(async () => {
  delete process.env.LEGO_CA_CERTIFICATES;
  await proxy?.stop();
  await httpGate?.close();
  await echo?.close();
  await backend?.close();
  await pebble?.stop();
  if (storage) await rm(storage, { recursive: true, force: true });
});

describe('defaultGeneratedCert and TCP routers order through their resolver', () => {
  it('serves the generated default certificate until the ordered one is issued; the TCP router loads without warning', async () => {
    assert.equal((await handshake()).peer.subject?.CN, DEFAULT_CERT_CN);
    assert.equal((await handshake('tcp.example.test')).peer.subject?.CN, DEFAULT_CERT_CN);
    const wanted = proxy.app.options.acme?.status?.().certificates.map((c) => [c.domain.main, c.wantedBy]);
    assert.deepEqual(
      wanted?.sort(),
      [
        ['default.example.test', ['tls.stores.default.defaultGeneratedCert']],
        ['tcp.example.test', ['echo@file']],
      ].sort(),
    );
    const router = proxy.app.runtime?.tcp.routers.get('echo@file');
    assert.deepEqual(router?.errors, []);
    assert.equal(router?.status, 'enabled');
  });

  it('once issued, a handshake without SNI or with an unknown name sees the pebble certificate of defaultGeneratedCert', async () => {
    httpGate.open();
    const issued = await waitFor(
      async () => {
        const failed = proxy.app.options.acme?.status?.().certificates.find((c) => c.state === 'failed');
        if (failed) assert.fail(`${failed.domain.main}: ${failed.lastError}\n${pebble.output().slice(-3000)}`);
        const { peer } = await handshake();
        return /pebble/i.test(issuerOf(peer)) ? peer : undefined;
      },
      { timeout: 90_000, interval: 200, what: 'the defaultGeneratedCert certificate served without SNI' },
    );
    assert.match(issued.subjectaltname ?? '', /DNS:default\.example\.test/);
    assert.match(issued.subjectaltname ?? '', /DNS:alt\.example\.test/);
    const unknown = (await handshake('unknown.example.test')).peer;
    assert.equal(unknown.fingerprint256, issued.fingerprint256);
  });

  it('the TLS-terminating TCP router serves its pebble certificate and reaches the plain TCP backend', async () => {
    const seen = await waitFor(
      async () => {
        const result = await handshake('tcp.example.test', 'ping');
        // Until its own certificate arrives, the name gets the default one (pebble's too by now).
        return /DNS:tcp\.example\.test/.test(result.peer.subjectaltname ?? '') ? result : undefined;
      },
      { timeout: 90_000, interval: 200, what: 'the TCP router certificate' },
    );
    assert.match(issuerOf(seen.peer), /Pebble/i);
    assert.equal(seen.answer, 'echo:ping');
    assert.ok((httpGate.forwarded.get(proxy.port) ?? 0) > 0, 'pebble validated HTTP-01 through web');
  });
});
