// The HTTPS rows of bench/run.mjs: Switchyard and nginx (1 worker) terminating TLS with the same
// P-256 certificate, in turns, each started fresh:
//   - HTTPS keep-alive: wrk -t1 -cN over TLS to /api (connections kept, so this is the record
//     layer and the proxying, not handshakes);
//   - HTTP/2 over TLS (ALPN h2): h2load -c50 -m10 to /api, when h2load is installed;
//   - new TLS 1.3 handshakes: `openssl s_time -new -tls1_3` (each connection a full handshake, no
//     resumption, no request), two clients in parallel for the run's time. One client process
//     can be the bottleneck on a small machine, so the figure that measures the proxy is its CPU
//     time per handshake (from /proc, like the other rows), printed beside the rate.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { runH2load } from './h2load.mjs';
import { cpuSecondsBetween, cpuTicks, freePort, startProcess, stopProcess, tail } from './procs.mjs';
import { switchyardCommand } from './systems.mjs';
import { errorCount, runWrk } from './wrk.mjs';

const READY_DEADLINE_MS = 10_000;

/** A P-256 certificate for bench.test (openssl CLI: benchmarks may use Debian tools); bench/tcp.mjs uses it too. */
export function makeCertificate(dir) {
  const cert = path.join(dir, 'bench-cert.pem');
  const key = path.join(dir, 'bench-key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=bench.test',
      '-addext',
      'subjectAltName=DNS:bench.test',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

function switchyardTls(ctx) {
  const dynamicFile = path.join(ctx.dir, 'dynamic.yml');
  const staticFile = path.join(ctx.dir, 'switchyard.yml');
  const servers = ctx.backends.map((u) => `          - url: "${u}"`).join('\n');
  fs.writeFileSync(
    dynamicFile,
    `http:
  routers:
    bench:
      rule: "PathPrefix(\`/\`)"
      service: bench
  services:
    bench:
      loadBalancer:
        servers:
${servers}
tls:
  stores:
    default:
      defaultCertificate:
        certFile: "${ctx.certificate.cert}"
        keyFile: "${ctx.certificate.key}"
`,
  );
  fs.writeFileSync(
    staticFile,
    `entryPoints:
  websecure:
    address: "127.0.0.1:${ctx.port}"
    http:
      tls: {}
providers:
  file:
    filename: "${dynamicFile}"
log:
  level: ERROR
`,
  );
  const { cmd, args } = switchyardCommand();
  args.push('--configFile', staticFile);
  return { cmd, args };
}

function nginxTls(ctx) {
  const conf = path.join(ctx.dir, 'nginx.conf');
  const t = (name) => path.join(ctx.dir, name);
  fs.writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${t('nginx.pid')};
error_log ${t('nginx-error.log')} error;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  keepalive_requests 100000;
  upstream bench {
${ctx.backends.map((u) => `    server ${new URL(u).host};`).join('\n')}
    keepalive 64;
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${ctx.port} ssl http2;
    ssl_certificate ${ctx.certificate.cert};
    ssl_certificate_key ${ctx.certificate.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffers 16 8k;
    }
  }
}
`,
  );
  return { cmd: ctx.bin.nginx, args: ['-p', ctx.dir, '-c', conf, '-e', t('nginx-error.log')] };
}

/** The TLS systems, in turn order. */
export const TLS_SYSTEMS = [
  { name: 'switchyard', label: 'Switchyard', launch: switchyardTls },
  { name: 'nginx', label: 'nginx, 1 worker', launch: nginxTls, needs: 'nginx' },
];

function httpsReady(url, handle, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  return new Promise((resolve) => {
    const attempt = () => {
      if (handle.exited) return resolve({ ok: false, reason: `exited (code ${handle.exitCode})` });
      const req = https.get(url, { rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve({ ok: true }) : retry()));
      });
      req.on('error', retry);
      req.setTimeout(1000, () => req.destroy());
    };
    const retry = () =>
      Date.now() > deadline ? resolve({ ok: false, reason: 'not ready in time' }) : setTimeout(attempt, 100);
    attempt();
  });
}

/** Runs `clients` × `openssl s_time -new -tls1_3` for `seconds`; resolves to connections per second (wall clock). */
function handshakeRate(port, seconds, clients = 2) {
  const started = Date.now();
  const runs = Array.from(
    { length: clients },
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(
          'openssl',
          ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-tls1_3', '-time', String(seconds)],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
        child.once('close', () => {
          clearTimeout(timer);
          const m = /(\d+) connections in [\d.]+s;/.exec(out);
          if (m) resolve(Number(m[1]));
          else reject(new Error(`openssl s_time gave no count: ${out.slice(-300)}`));
        });
      }),
  );
  return Promise.all(runs).then((counts) => {
    const total = counts.reduce((a, b) => a + b, 0);
    return { handshakes: total, perSecond: total / ((Date.now() - started) / 1000) };
  });
}

async function runTlsTurn(system, round, opts, ctx) {
  const result = { system: system.name, round, status: 'ok' };
  if (system.needs && !ctx.bin[system.needs]) return { ...result, status: 'not installed' };
  const port = await freePort();
  const dir = path.join(ctx.tmpRoot, `tls-r${round}-${system.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'output.log');
  const { cmd, args } = system.launch({
    port,
    dir,
    backends: ctx.backends,
    bin: ctx.bin,
    certificate: ctx.certificate,
  });
  const handle = startProcess(`${system.name}-tls`, cmd, args, { logFile });
  try {
    const base = `https://127.0.0.1:${port}`;
    const ready = await httpsReady(`${base}/api`, handle, READY_DEADLINE_MS);
    if (!ready.ok) return { ...result, status: 'failed to start', reason: ready.reason, log: tail(logFile) };
    const wrkOpts = { connections: opts.connections, track: ctx.track };
    await runWrk(`${base}/api`, { ...wrkOpts, seconds: 2 });
    let before = cpuTicks(handle.pid);
    const api = await runWrk(`${base}/api`, { ...wrkOpts, seconds: opts.duration });
    let after = cpuTicks(handle.pid);
    Object.assign(result, {
      rps: api.rps,
      errors: errorCount(api),
      cpuUsPerReq: api.requests ? (cpuSecondsBetween(before, after) * 1e6) / api.requests : null,
    });
    if (ctx.bin.h2load) {
      before = cpuTicks(handle.pid);
      const h2 = await runH2load(`${base}/api`, { seconds: opts.duration, warmup: 1, track: ctx.track });
      after = cpuTicks(handle.pid);
      Object.assign(result, {
        h2Rps: h2.rps,
        h2Errors: (h2.failed ?? 0) + (h2.errored ?? 0) + h2.non2xx,
        // The CPU window includes the warm-up: per request over everything h2load sent.
        h2CpuUsPerReq: h2.requests ? (cpuSecondsBetween(before, after) * 1e6) / h2.requests : null,
      });
    }
    before = cpuTicks(handle.pid);
    const hs = await handshakeRate(port, opts.handshakeSeconds);
    after = cpuTicks(handle.pid);
    Object.assign(result, {
      handshakesPerSec: hs.perSecond,
      cpuUsPerHandshake: hs.handshakes ? (cpuSecondsBetween(before, after) * 1e6) / hs.handshakes : null,
    });
    if (handle.exited) return { ...result, status: 'crashed', log: tail(logFile) };
    return result;
  } catch (err) {
    return { ...result, status: 'error', reason: err.message, log: tail(logFile) };
  } finally {
    await stopProcess(handle, 3000);
  }
}

const median = (values) => {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs the HTTPS turns and returns { rows, table } (markdown, ratios to nginx). */
export async function runTlsBench(opts, ctx, log) {
  const certificate = makeCertificate(ctx.tmpRoot);
  const turns = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const system of TLS_SYSTEMS) {
      log(`# HTTPS round ${round}/${opts.rounds}: ${system.name} …`);
      const r = await runTlsTurn(system, round, opts, { ...ctx, certificate });
      log(
        r.status === 'ok'
          ? `#   ${Math.round(r.rps)} req/s keep-alive (${r.cpuUsPerReq?.toFixed(1)} µs/req CPU), ${r.h2Rps ? `${Math.round(r.h2Rps)} req/s HTTP/2 (${r.h2CpuUsPerReq?.toFixed(1)} µs/req), ` : ''}${Math.round(r.handshakesPerSec)} handshakes/s (${r.cpuUsPerHandshake?.toFixed(0)} µs CPU each)`
          : `#   ${r.status}: ${r.reason ?? ''}`,
      );
      turns.push(r);
    }
  }
  const rows = TLS_SYSTEMS.map((s) => {
    const mine = turns.filter((t) => t.system === s.name && t.status === 'ok');
    return {
      name: s.name,
      label: s.label,
      rps: median(mine.map((t) => t.rps)),
      cpuUsPerReq: median(mine.map((t) => t.cpuUsPerReq)),
      h2Rps: median(mine.map((t) => t.h2Rps)),
      h2CpuUsPerReq: median(mine.map((t) => t.h2CpuUsPerReq)),
      h2Errors: mine.reduce((n, t) => n + (t.h2Errors ?? 0), 0),
      handshakesPerSec: median(mine.map((t) => t.handshakesPerSec)),
      cpuUsPerHandshake: median(mine.map((t) => t.cpuUsPerHandshake)),
      errors: mine.reduce((n, t) => n + (t.errors ?? 0), 0),
    };
  });
  const nginx = rows.find((r) => r.name === 'nginx');
  const ratio = (value, reference) => (value && reference ? `${(value / reference).toFixed(2)}×` : '—');
  const fmt = (v, digits = 0) => (v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
  const lines = [
    '| system (HTTPS, P-256, TLS 1.3) | keep-alive req/s | × nginx | CPU µs/req | HTTP/2 over TLS req/s | × nginx | CPU µs/req | new handshakes/s | × nginx | CPU µs/handshake | errors (wrk / h2load) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${fmt(r.rps)} | ${ratio(r.rps, nginx?.rps)} | ${fmt(r.cpuUsPerReq, 1)} | ${fmt(r.h2Rps)} | ${ratio(r.h2Rps, nginx?.h2Rps)} | ${fmt(r.h2CpuUsPerReq, 1)} | ${fmt(r.handshakesPerSec)} | ${ratio(r.handshakesPerSec, nginx?.handshakesPerSec)} | ${fmt(r.cpuUsPerHandshake)} | ${r.errors} / ${r.h2Errors} |`,
    ),
  ];
  return { rows, turns, table: lines.join('\n') };
}
