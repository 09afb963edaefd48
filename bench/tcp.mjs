#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, killAllSync, startProcess, stopProcess } from './lib/procs.mjs';
import { median } from './lib/report.mjs';
import { switchyardCommand } from './lib/systems.mjs';
// TCP proxying: a 1 GiB stream and connections per second through Switchyard's HostSNI(`*`)
// router, beside nginx's stream module and HAProxy `mode tcp`, in turns in the same run.
//   node bench/tcp.mjs [--rounds 3] [--gib 1] [--seconds 5] [--concurrency 50] [--tls]
// Prints a table; figures are medians over the rounds. Needs `npm run build`; nginx (with
// libnginx-mod-stream) and haproxy are measured when installed. `--tls`: every system terminates
// TLS (a self-signed certificate made with the openssl CLI; Switchyard through a TCP router with
// `tls: {}`) and forwards plaintext; the client speaks TLS with SNI bench.test.
import { makeCertificate } from './lib/tls-bench.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const ROUNDS = option('rounds', 3);
const STREAM_BYTES = Math.round(option('gib', 1) * 1024 ** 3);
const SECONDS = option('seconds', 5);
const CONCURRENCY = option('concurrency', 50);
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const TLS = args.includes('--tls');

/** Connects to the system under test (with TLS under `--tls`) and calls `ready` once it can write. */
function connect(port, ready) {
  return TLS
    ? tls.connect({ port, host: '127.0.0.1', servername: 'bench.test', rejectUnauthorized: false }, ready)
    : net.connect(port, '127.0.0.1', ready);
}

/** The certificate of the runs, plus certificate and key in one file (HAProxy's `crt`). */
function benchCertificate(dir) {
  const { cert, key } = makeCertificate(dir);
  const both = path.join(dir, 'both.pem');
  fs.writeFileSync(both, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  return { cert, key, both };
}
const CERT = TLS ? benchCertificate(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tcp-cert-'))) : null;

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** The backend: `S` streams STREAM_BYTES then closes; `C` answers one byte and closes. */
async function startBackend() {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.once('data', (first) => {
      if (first[0] === 0x53 /* S */) {
        let left = STREAM_BYTES;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return socket.once('drain', pump);
          }
          socket.end();
        };
        pump();
      } else socket.end('k');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port };
}

/** Reads the whole stream through `port`: MiB/s. */
function stream(port) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let received = 0;
    const socket = connect(port, () => socket.write('S'));
    socket.on('data', (data) => {
      received += data.length;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (received !== STREAM_BYTES) reject(new Error(`received ${received} of ${STREAM_BYTES} bytes`));
      else resolve(received / 1024 ** 2 / seconds);
    });
  });
}

/** Opens, exchanges one byte and closes connections, CONCURRENCY at a time, for SECONDS: per second. */
async function connectionsPerSecond(port) {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  let failed = 0;
  const one = () =>
    new Promise((resolve) => {
      const socket = connect(port, () => socket.write('C'));
      socket.once('data', () => socket.destroy());
      socket.once('error', () => {
        failed++;
        resolve();
      });
      socket.once('close', () => {
        done++;
        resolve();
      });
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  return { rate: (done - failed) / ((Date.now() - started) / 1000), failed };
}

const SYSTEMS = [
  {
    name: 'switchyard',
    label: TLS ? 'Switchyard, HostSNI(`*`), tls: {}' : 'Switchyard, HostSNI(`*`)',
    launch(dir, port, backend) {
      const dynamic = path.join(dir, 'dynamic.yml');
      fs.writeFileSync(
        dynamic,
        `tcp:\n  routers:\n    bench: { rule: "HostSNI(\`*\`)", service: bench, entryPoints: [tcp]${TLS ? ', tls: {}' : ''} }\n  services:\n    bench: { loadBalancer: { servers: [{ address: "127.0.0.1:${backend}" }] } }\n${
          TLS ? `tls:\n  certificates: [{ certFile: "${CERT.cert}", keyFile: "${CERT.key}" }]\n` : ''
        }`,
      );
      const { cmd, args: base } = switchyardCommand();
      return {
        cmd,
        args: [
          ...base,
          `--entryPoints.tcp.address=127.0.0.1:${port}`,
          `--providers.file.filename=${dynamic}`,
          '--log.level=ERROR',
        ],
      };
    },
  },
  {
    name: 'nginx',
    label: TLS ? 'nginx stream ssl, 1 worker' : 'nginx stream, 1 worker',
    needs: () => which('nginx') && fs.existsSync(STREAM_MODULE),
    launch(dir, port, backend) {
      const conf = path.join(dir, 'nginx.conf');
      fs.writeFileSync(
        conf,
        `load_module ${STREAM_MODULE};\nworker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log error;\nevents { worker_connections 4096; }\nstream {\n  server {\n    listen 127.0.0.1:${port}${TLS ? ' ssl' : ''};\n${
          TLS ? `    ssl_certificate ${CERT.cert};\n    ssl_certificate_key ${CERT.key};\n` : ''
        }    proxy_pass 127.0.0.1:${backend};\n  }\n}\n`,
      );
      return { cmd: which('nginx'), args: ['-p', dir, '-c', conf, '-e', `${dir}/error.log`] };
    },
  },
  {
    name: 'haproxy',
    label: TLS ? 'HAProxy mode tcp ssl, 1 thread' : 'HAProxy mode tcp, 1 thread',
    needs: () => which('haproxy'),
    launch(dir, port, backend) {
      const cfg = path.join(dir, 'haproxy.cfg');
      fs.writeFileSync(
        cfg,
        `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind 127.0.0.1:${port}${TLS ? ` ssl crt ${CERT.both}` : ''}\n  default_backend b\nbackend b\n  server s1 127.0.0.1:${backend}\n`,
      );
      return { cmd: which('haproxy'), args: ['-f', cfg, '-db'] };
    },
  },
];

function which(tool) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const file = path.join(dir, tool);
    if (fs.existsSync(file)) return file;
  }
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  return found || null;
}

async function waitListening(port, deadline = Date.now() + 10_000) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

const backend = await startBackend();
const systems = SYSTEMS.filter((s) => s.needs === undefined || s.needs());
const results = new Map(systems.map((s) => [s.name, { stream: [], cps: [] }]));
console.log(
  `# TCP${TLS ? ' with TLS terminated by each system' : ''}: ${STREAM_BYTES / 1024 ** 3} GiB stream, connections/s (${CONCURRENCY} at a time, ${SECONDS}s), ${ROUNDS} rounds; ${os.cpus().length} CPUs (shared: figures are noisy)`,
);
for (let round = 1; round <= ROUNDS; round++) {
  for (const system of systems) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-tcp-${system.name}-`));
    const port = await freePort();
    const { cmd, args: argv } = system.launch(dir, port, backend.port);
    const handle = startProcess(system.name, cmd, argv, { logFile: path.join(dir, 'out.log'), cwd: dir });
    try {
      await waitListening(port);
      // Switchyard reads its dynamic file after listening: give the first table a moment.
      await new Promise((r) => setTimeout(r, 300));
      await stream(port); // warm-up, as large as the measure
      const mib = await stream(port);
      const { rate, failed } = await connectionsPerSecond(port);
      results.get(system.name).stream.push(mib);
      results.get(system.name).cps.push(rate);
      console.log(
        `round ${round} ${system.name}: ${mib.toFixed(0)} MiB/s, ${rate.toFixed(0)} conn/s${failed ? ` (${failed} failed)` : ''}`,
      );
    } finally {
      await stopProcess(handle);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
backend.server.close();
const nginx = results.get('nginx');
const nginxStream = nginx ? median(nginx.stream) : null;
const nginxCps = nginx ? median(nginx.cps) : null;
const rows = [];
for (const system of systems) {
  const r = results.get(system.name);
  const mib = median(r.stream);
  const cps = median(r.cps);
  rows.push([
    system.label,
    mib.toFixed(0),
    nginxStream ? (mib / nginxStream).toFixed(2) : '—',
    cps.toFixed(0),
    nginxCps ? (cps / nginxCps).toFixed(2) : '—',
  ]);
}
console.log('| system | stream MiB/s | × nginx | conn/s | × nginx |\n|---|---:|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (CERT !== null) fs.rmSync(path.dirname(CERT.cert), { recursive: true, force: true });
process.exit(0);
