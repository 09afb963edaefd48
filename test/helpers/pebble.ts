/**
 * A real ACME server for tests: Debian's `pebble` with `pebble-challtestsrv` as its DNS, both on
 * free ports of 127.0.0.1. challtestsrv answers every name with 127.0.0.1, so pebble validates
 * HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort` of this machine: the test's (or the proxy's)
 * listeners. Pebble's own HTTPS certificate is made in process, by a CA whose PEM is `caFile`
 * (give it as LEGO_CA_CERTIFICATES or NODE_EXTRA_CA_CERTS). Pebble keeps its defaults otherwise:
 * 5 % of nonces rejected and authorizations reused half the time, as a real client must cope.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from './acme-certs.js';
import { freePort } from './ports.js';

/** A running pebble and challtestsrv. */
export interface Pebble {
  /** The ACME directory URL (`https://localhost:PORT/dir`). */
  directory: string;
  /** PEM file of the CA that signed pebble's HTTPS certificate. */
  caFile: string;
  /** Where pebble validates HTTP-01 and TLS-ALPN-01 (the test listens there). */
  httpPort: number;
  tlsPort: number;
  /** challtestsrv's DNS server (`127.0.0.1:PORT`), also for `dnsChallenge.resolvers`. */
  dnsServer: string;
  /** challtestsrv's management API base URL (`/set-txt`, `/clear-txt`, `/add-a`). */
  challtestsrv: string;
  /** Everything both processes printed, for failure messages. */
  output(): string;
  /** Calls challtestsrv's management API. */
  manage(path: string, body: object): Promise<void>;
  stop(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`process exited (${child.exitCode}):\n${output()}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port} after ${timeoutMs} ms:\n${output()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts challtestsrv then pebble; `httpPort`/`tlsPort` default to fresh free ports. */
export async function startPebble(
  options: { httpPort?: number; tlsPort?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pebble-'));
  const { caPem, certPem, keyPem } = await makeCertificate({ names: ['localhost'], ips: ['127.0.0.1'] });
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, caPem);
  await writeFile(join(dir, 'cert.pem'), certPem);
  await writeFile(join(dir, 'key.pem'), keyPem);
  const [dnsPort, managementPort, acmePort, pebbleManagementPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const httpPort = options.httpPort ?? (await freePort());
  const tlsPort = options.tlsPort ?? (await freePort());
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${pebbleManagementPort}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  let log = '';
  const collect = (name: string) => (chunk: Buffer) => {
    log += chunk
      .toString()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `[${name}] ${l}\n`)
      .join('');
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  const challtestsrv = spawn(
    'pebble-challtestsrv',
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${managementPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  challtestsrv.stdout?.on('data', collect('challtestsrv'));
  challtestsrv.stderr?.on('data', collect('challtestsrv'));
  const output = () => log;
  let pebble: ChildProcess | undefined;
  const stop = async () => {
    await Promise.all([pebble ? stopChild(pebble) : undefined, stopChild(challtestsrv)]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(managementPort, challtestsrv, output);
    pebble = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', ...options.env },
    });
    pebble.stdout?.on('data', collect('pebble'));
    pebble.stderr?.on('data', collect('pebble'));
    await waitForPort(acmePort, pebble, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const challtestsrvUrl = `http://127.0.0.1:${managementPort}`;
  return {
    directory: `https://localhost:${acmePort}/dir`,
    caFile,
    httpPort,
    tlsPort,
    dnsServer: `127.0.0.1:${dnsPort}`,
    challtestsrv: challtestsrvUrl,
    output,
    manage: (path, body) =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${challtestsrvUrl}${path}`, { method: 'POST' }, (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`challtestsrv ${path} answered ${res.statusCode}`)),
          );
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      }),
    stop,
  };
}
