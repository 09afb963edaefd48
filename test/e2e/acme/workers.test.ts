/**
 * Automatic HTTPS with `--workers 2`: the real `switchyard` command as a child process. Only the
 * primary runs the resolvers (one order per domain set in its log); the workers, which own `web`
 * and `websecure`, answer pebble's HTTP-01 and TLS-ALPN-01 validations with the challenges the
 * primary sent them and serve the issued certificates to a real TLS client.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { stringify } from 'yaml';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { startCli } from '../../helpers/cli.js';
import { sendJson, waitFor } from '../../helpers/http.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { freePort } from '../../helpers/ports.js';
import { type Forwarder, startForwarder } from './forwarder.js';

let pebble: Pebble;
let backend: Backend;
let dir: string;
let run: ReturnType<typeof startCli>;
let gates: Forwarder[] = [];
let ports: { web: number; websecure: number; api: number };

function issuerOf(servername: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: ports.websecure, servername, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const issuer = String(socket.getPeerCertificate().issuer?.CN ?? '');
      socket.destroy();
      resolve(issuer);
    });
    socket.once('error', () => resolve(''));
  });
}

before(async () => {
  pebble = await startPebble();
  backend = await startBackend('app');
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-workers-'));
  ports = { web: await freePort(), websecure: await freePort(), api: await freePort() };
  const file = join(dir, 'dynamic.yml');
  await writeFile(
    file,
    stringify({
      http: {
        routers: {
          app: {
            rule: 'Host(`w.example.test`)',
            entryPoints: ['websecure'],
            service: 'app',
            tls: { certResolver: 'le' },
          },
          alpn: {
            rule: 'Host(`wa.example.test`)',
            entryPoints: ['websecure'],
            service: 'app',
            tls: { certResolver: 'alpn' },
          },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    }),
  );
  run = startCli(
    [
      `--entryPoints.web.address=127.0.0.1:${ports.web}`,
      `--entryPoints.websecure.address=127.0.0.1:${ports.websecure}`,
      `--entryPoints.traefik.address=127.0.0.1:${ports.api}`,
      '--api.insecure=true',
      `--providers.file.filename=${file}`,
      '--log.format=json',
      '--workers=2',
      `--certificatesResolvers.le.acme.caServer=${pebble.directory}`,
      '--certificatesResolvers.le.acme.keyType=EC256',
      '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web',
      `--certificatesResolvers.alpn.acme.caServer=${pebble.directory}`,
      '--certificatesResolvers.alpn.acme.keyType=EC256',
      '--certificatesResolvers.alpn.acme.tlsChallenge=true',
    ],
    { cwd: dir, env: { LEGO_CA_CERTIFICATES: pebble.caFile } },
  );
  gates = [await startForwarder(pebble.httpPort, [ports.web]), await startForwarder(pebble.tlsPort, [ports.websecure])];
});

after(async () => {
  if (run && run.child.exitCode === null) {
    run.child.kill('SIGTERM');
    await run.exited;
  }
  for (const gate of gates) await gate.close();
  await backend?.close();
  await pebble?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('automatic HTTPS with --workers', () => {
  it('the primary orders once per domain set; the workers answer the challenges and serve the certificates', async () => {
    for (const name of ['w.example.test', 'wa.example.test']) {
      await waitFor(
        async () => {
          if (run.child.exitCode !== null) assert.fail(`switchyard exited: ${run.output.stdout.slice(-2000)}`);
          return /Pebble Intermediate/.test(await issuerOf(name));
        },
        {
          timeout: 90_000,
          interval: 250,
          what: `the certificate for ${name} (output: ${run.output.stdout.slice(-1500)})`,
        },
      );
    }
    // The certificate reaches the workers just before the primary has stored it (state `valid`).
    await waitFor(
      async () => {
        const status = (
          await sendJson<{ certificates: { resolver: string; state: string }[] }>(
            `http://127.0.0.1:${ports.api}/api/acme`,
          )
        ).json;
        return (
          status.certificates
            .map((c) => `${c.resolver}:${c.state}`)
            .sort()
            .join() === 'alpn:valid,le:valid'
        );
      },
      { timeout: 10_000, what: 'both certificates valid in /api/acme' },
    );
    const orders = run.output.stdout.split('\n').filter((line) => line.includes('"ordering ACME certificate"'));
    assert.equal(orders.length, 2, orders.join('\n'));
    // Both validations reached the workers' entry points (the primary does not listen there).
    assert.ok((gates[0]?.forwarded.get(ports.web) ?? 0) > 0);
    assert.ok((gates[1]?.forwarded.get(ports.websecure) ?? 0) > 0);
  });
});
