/**
 * `--workers=2` through the real CLI: the primary makes the generated default certificate once
 * and hands it to its workers, so a client sees the same default certificate whichever worker
 * accepts its connection (before, each worker made its own).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { DEFAULT_CERT_CN } from '../../src/tls/default-certificate.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { startCli } from '../helpers/cli.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

interface WorkerInfo {
  id: number;
  state: string;
  requests: number;
}

let dir: string;
let backend: Backend;
let proxy: ReturnType<typeof startCli>;
let websecure: number;
let api: string;

/** One HTTPS request on a new connection without SNI: the certificate's fingerprint and subject. */
function fetchWithoutSni(): Promise<{ status: number; fingerprint: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: websecure,
        path: '/',
        headers: { host: 'app.test' },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            fingerprint: peer.fingerprint256,
            subject: String(peer.subject?.CN ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-cert-'));
  backend = await startBackend('app');
  const file = join(dir, 'dynamic.yml');
  await writeFile(
    file,
    stringify({
      http: {
        routers: { app: { rule: 'Host(`app.test`)', entryPoints: ['websecure'], service: 'app', tls: {} } },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    }),
  );
  const [web, port, apiPort] = [await freePort(), await freePort(), await freePort()];
  websecure = port;
  api = `http://127.0.0.1:${apiPort}`;
  proxy = startCli(
    [
      `--entryPoints.web.address=127.0.0.1:${web}`,
      `--entryPoints.websecure.address=127.0.0.1:${websecure}`,
      `--entryPoints.traefik.address=127.0.0.1:${apiPort}`,
      '--api.insecure=true',
      `--providers.file.filename=${file}`,
      '--log.format=json',
      '--workers=2',
    ],
    { cwd: dir },
  );
  await waitFor(
    async () => (await sendJson<WorkerInfo[]>(`${api}/api/workers`)).json.every((w) => w.state === 'ready'),
    {
      timeout: 20_000,
      what: `both workers listening (output: ${proxy.output.stderr.slice(-500)})`,
    },
  );
  await waitFor(async () => (await send(`http://127.0.0.1:${web}/`)).status > 0, {
    timeout: 10_000,
    what: 'web answering',
  });
});

after(async () => {
  if (proxy && proxy.child.exitCode === null && proxy.child.signalCode === null) {
    proxy.child.kill('SIGKILL');
    await proxy.exited;
  }
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the generated default certificate with --workers', () => {
  it('is the same on every worker: handshakes without SNI all see one fingerprint', async () => {
    const seen = new Set<string>();
    let answered = 0;
    // Until both workers have answered some of them (bounded: connections are spread between them).
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 8 }, () => fetchWithoutSni()));
      for (const result of results) {
        assert.equal(result.status, 200);
        assert.equal(result.subject, DEFAULT_CERT_CN);
        seen.add(result.fingerprint);
        answered++;
      }
      const workers = await waitFor(
        async () => {
          const list = (await sendJson<WorkerInfo[]>(`${api}/api/workers`)).json;
          return list.reduce((sum, w) => sum + w.requests, 0) >= answered ? list : null;
        },
        { timeout: 5000, what: `workers reporting at least ${answered} requests` },
      );
      if (workers?.every((w) => w.requests > 0)) break;
    }
    const workers = (await sendJson<WorkerInfo[]>(`${api}/api/workers`)).json;
    assert.equal(workers.length, 2);
    assert.ok(
      workers.every((w) => w.requests > 0),
      `both workers answered (${workers.map((w) => w.requests)})`,
    );
    assert.equal(seen.size, 1, `one default certificate, seen: ${[...seen].join(', ')}`);
  });
});
