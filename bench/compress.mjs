#!/usr/bin/env node
import { spawn } from 'node:child_process';
// compress beside nginx `gzip on`, in the same run, on a 64 KiB text (HTML) response.
//   npm run build && node bench/compress.mjs [--rounds N] [--duration S] [--connections N]
//
// One node:http backend (its own process) answers GET /page with 64 KiB of HTML-like text and a
// Content-Length. Systems, started fresh for each turn and run in turns for N rounds:
//   switchyard-gzip   compress middleware (gzip level 6, zlib's default), client sends Accept-Encoding: gzip
//   nginx-gzip6       1 worker, gzip on, gzip_comp_level 6 (the same level), gzip_proxied any
//   nginx-gzip1       the same at nginx's default level (gzip_comp_level 1)
//   switchyard-plain  no compress middleware (what compression costs on top of proxying 64 KiB)
// Each turn: warm-up 2 s, then `wrk -t1 -cC -dDs -H 'Accept-Encoding: gzip'`; CPU µs/req from
// /proc/PID/stat (process tree) before and after; the compressed size is checked once
// (decoded by node:zlib, equal to the backend's page). Prints medians over rounds.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { cpuSecondsBetween, cpuTicks, freePort, killAllSync, startProcess, stopProcess } from './lib/procs.mjs';
import { switchyardCommand } from './lib/systems.mjs';
import { parseWrk } from './lib/wrk.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const rounds = option('rounds', 3);
const duration = option('duration', 8);
const connections = option('connections', 50);

const here = path.dirname(new URL(import.meta.url).pathname);
const repoRoot = path.resolve(here, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-compress-'));
process.on('exit', () => {
  killAllSync();
  fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const BACKEND = `
import http from 'node:http';
const words = ['switchyard', 'routes', 'requests', 'to', 'the', 'right', 'platform', 'of', 'a', 'station', 'where', 'trains', 'arrive', 'and', 'leave'];
let html = '<!doctype html><html><head><title>bench</title></head><body>\\n';
let i = 0;
while (html.length < 64 * 1024 - 40) {
  html += '<p class="item-' + (i % 7) + '">' + words[i % words.length] + ' ' + words[(i * 7) % words.length] + ' ' + (i * 2654435761 % 100000) + '</p>\\n';
  i++;
}
const page = Buffer.from((html + '</body></html>\\n').padEnd(64 * 1024, ' '));
const headers = { 'content-type': 'text/html; charset=utf-8', 'content-length': String(page.length) };
const server = http.createServer((req, res) => { res.writeHead(200, headers); res.end(page); });
server.keepAliveTimeout = 120000;
server.listen(Number(process.argv[2]), '127.0.0.1');
`;

function switchyard(compress) {
  return (ctx) => {
    const dynamicFile = path.join(ctx.dir, 'dynamic.yml');
    const staticFile = path.join(ctx.dir, 'switchyard.yml');
    fs.writeFileSync(
      dynamicFile,
      `http:
  routers:
    bench:
      rule: "PathPrefix(\`/\`)"
      service: bench
${compress ? '      middlewares: [gz]\n  middlewares:\n    gz:\n      compress:\n        encodings: [gzip]\n' : ''}  services:
    bench:
      loadBalancer:
        servers:
          - url: "${ctx.backend}"
`,
    );
    fs.writeFileSync(
      staticFile,
      `entryPoints:\n  web:\n    address: "127.0.0.1:${ctx.port}"\nproviders:\n  file:\n    filename: "${dynamicFile}"\nlog:\n  level: ERROR\n`,
    );
    const { cmd, args: cliArgs } = switchyardCommand();
    return { cmd, args: [...cliArgs, '--configFile', staticFile], cwd: repoRoot };
  };
}

function nginx(level) {
  return (ctx) => {
    const t = (name) => path.join(ctx.dir, name);
    const conf = t('nginx.conf');
    fs.writeFileSync(
      conf,
      `worker_processes 1;
daemon off;
pid ${t('nginx.pid')};
error_log ${t('nginx-error.log')} error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  keepalive_requests 100000;
  gzip on;
  gzip_comp_level ${level};
  gzip_min_length 1024;
  gzip_proxied any;
  gzip_vary on;
  upstream bench { server ${new URL(ctx.backend).host}; keepalive 64; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:${ctx.port};
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
    return { cmd: 'nginx', args: ['-p', ctx.dir, '-c', conf, '-e', t('nginx-error.log')] };
  };
}

const SYSTEMS = [
  { name: 'switchyard-gzip', launch: switchyard(true) },
  { name: 'nginx-gzip6', launch: nginx(6) },
  { name: 'nginx-gzip1', launch: nginx(1) },
  { name: 'switchyard-plain', launch: switchyard(false) },
];

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

async function waitReady(url) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const r = await get(url);
      if (r.status === 200) return r;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

function wrk(url, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-H', 'Accept-Encoding: gzip', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.once('close', () => {
      clearTimeout(timer);
      const parsed = parseWrk(out);
      if (parsed.rps === null) reject(new Error(`wrk failed: ${out}`));
      else resolve(parsed);
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const backendPort = await freePort();
const backendFile = path.join(dir, 'backend.mjs');
fs.writeFileSync(backendFile, BACKEND);
const backend = startProcess('backend', process.execPath, [backendFile, String(backendPort)]);
const backendUrl = `http://127.0.0.1:${backendPort}`;
const page = (await waitReady(`${backendUrl}/page`)).body;

const results = new Map(SYSTEMS.map((s) => [s.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const system of SYSTEMS) {
    const port = await freePort();
    const turnDir = fs.mkdtempSync(path.join(dir, `${system.name}-`));
    const { cmd, args: cmdArgs, cwd } = system.launch({ port, dir: turnDir, backend: backendUrl });
    const handle = startProcess(system.name, cmd, cmdArgs, { cwd, logFile: path.join(turnDir, 'log') });
    try {
      const url = `http://127.0.0.1:${port}/page`;
      const first = await waitReady(url);
      const encoded = first.headers['content-encoding'] === 'gzip';
      const decoded = encoded ? zlib.gunzipSync(first.body) : first.body;
      if (!decoded.equals(page)) throw new Error(`${system.name}: the page came back altered`);
      await wrk(url, 2);
      const before = cpuTicks(handle.pid);
      const run = await wrk(url, duration);
      const cpu = cpuSecondsBetween(before, cpuTicks(handle.pid));
      results.get(system.name).push({
        rps: run.rps,
        cpuUs: (cpu * 1e6) / run.requests,
        bytes: first.body.length,
        encoded,
        errors: run.non2xx + Object.values(run.socketErrors).reduce((a, b) => a + b, 0),
      });
      const socket = Object.entries(run.socketErrors).filter(([, n]) => n > 0);
      process.stderr.write(
        `round ${round} ${system.name}: ${Math.round(run.rps)} req/s${run.non2xx ? `, ${run.non2xx} non-2xx` : ''}${socket.length ? `, socket errors ${socket.map(([k, n]) => `${k} ${n}`).join(' ')}` : ''}\n`,
      );
    } finally {
      await stopProcess(handle);
    }
  }
}
await stopProcess(backend);

console.log(
  `\ncompress, 64 KiB text/html (${page.length} bytes), wrk -t1 -c${connections} -d${duration}s, median of ${rounds} round(s)\n`,
);
console.log('| system | req/s | CPU µs/req | bytes on the wire | errors |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, turns] of results) {
  if (turns.length === 0) continue;
  const t = turns[0];
  console.log(
    `| ${name} | ${Math.round(median(turns.map((x) => x.rps))).toLocaleString('en')} | ${median(turns.map((x) => x.cpuUs)).toFixed(1)} | ${t.bytes.toLocaleString('en')}${t.encoded ? ' (gzip)' : ''} | ${turns.reduce((a, x) => a + x.errors, 0)} |`,
  );
}
