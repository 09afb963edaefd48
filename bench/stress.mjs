#!/usr/bin/env node
// The performance issue's other figures, for Switchyard alone (run after `npm run build`):
//   1. 1,000 concurrent keep-alive connections: req/s, p99, errors (and the same straight at a
//      backend, for comparison);
//   2. configuration reloads under load: `--seconds` of load with a reload every second, next to
//      a twin proxy under the same load at the same time that is never reloaded: requests and
//      CPU per request of both, failed requests;
//   3. a 1 GiB upload and a 1 GiB download streamed through the proxy: the proxy's RSS sampled
//      every 100 ms (it must stay flat).
// Usage: node bench/stress.mjs [--seconds 30] [--gib 1]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { waitReady } from './lib/check.mjs';
import { cpuSecondsBetween, cpuTicks, freePort, killAllSync, startProcess, stopProcess } from './lib/procs.mjs';
import { SYSTEMS } from './lib/systems.mjs';
import { errorCount, runWrk } from './lib/wrk.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const seconds = option('seconds', 30);
const streamBytes = Math.round(option('gib', 1) * 1024 ** 3);
const here = path.dirname(new URL(import.meta.url).pathname);
const CHUNK = Buffer.alloc(256 * 1024, 'switchyard');

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function rssMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** A backend for the streaming test: /sink counts an upload, /source streams `streamBytes`. */
function startStreamBackend(port) {
  const server = http.createServer((req, res) => {
    if (req.url === '/sink') {
      let bytes = 0;
      req.on('data', (chunk) => {
        bytes += chunk.length;
      });
      req.on('end', () => res.end(String(bytes)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': streamBytes });
    let sent = 0;
    const pump = () => {
      while (sent < streamBytes) {
        const piece = Math.min(CHUNK.length, streamBytes - sent);
        sent += piece;
        if (!res.write(piece === CHUNK.length ? CHUNK : CHUNK.subarray(0, piece))) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Streams `streamBytes` up or down through the proxy while sampling its RSS. */
async function streamThrough(url, pid, direction) {
  const samples = [];
  const timer = setInterval(() => samples.push(rssMiB(pid)), 100);
  const started = Date.now();
  const bytes = await new Promise((resolve, reject) => {
    const req = http.request(url, { method: direction === 'upload' ? 'POST' : 'GET' }, (res) => {
      let received = 0;
      let body = '';
      res.on('data', (chunk) => {
        received += chunk.length;
        if (direction === 'upload') body += chunk;
      });
      res.on('end', () => resolve(direction === 'upload' ? Number(body) : received));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (direction === 'download') return req.end();
    let sent = 0;
    const pump = () => {
      while (sent < streamBytes) {
        const piece = Math.min(CHUNK.length, streamBytes - sent);
        sent += piece;
        if (!req.write(piece === CHUNK.length ? CHUNK : CHUNK.subarray(0, piece))) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  clearInterval(timer);
  const seconds = (Date.now() - started) / 1000;
  return { bytes, seconds, min: Math.min(...samples), max: Math.max(...samples), last: samples.at(-1) };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-stress-'));
const backendPorts = [await freePort(), await freePort()];
const backends = backendPorts.map((port, i) =>
  startProcess(`backend-${i}`, process.execPath, [path.join(here, 'backend.mjs'), String(port), `b${i}`]),
);
const streamPort = await freePort();
const streamServer = await startStreamBackend(streamPort);
const port = await freePort();
const backendUrls = backendPorts.map((p) => `http://127.0.0.1:${p}`);
const system = SYSTEMS.find((s) => s.name === 'switchyard');
const launch = system.launch({ dir, port, backends: backendUrls });
const dynamicFile = path.join(dir, 'dynamic.yml');
// Add the streaming routes to the bench's dynamic configuration.
const baseDynamic = fs.readFileSync(dynamicFile, 'utf8');
const withStreams = (extra) =>
  baseDynamic
    .replace(
      '  routers:\n',
      `  routers:\n    stream:\n      rule: "Path(\`/sink\`) || Path(\`/source\`)"\n      service: stream\n`,
    )
    .replace(
      '  services:\n',
      `  services:\n    stream:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:${streamPort}"\n${extra}`,
    );
fs.writeFileSync(dynamicFile, withStreams(''));
const proxy = startProcess('switchyard', launch.cmd, launch.args, {
  cwd: launch.cwd,
  logFile: path.join(dir, 'proxy.log'),
});
const base = `http://127.0.0.1:${port}`;
try {
  for (const b of backendPorts) await waitReady(`http://127.0.0.1:${b}/api`, null);
  await waitReady(`${base}/api`, proxy);
  await runWrk(`${base}/api`, { connections: 50, seconds: 2 });

  // The same load straight at one backend first: what wrk and a node:http server do with
  // 1,000 connections on this machine (wrk's 2 s timeouts show up there too).
  const direct = await runWrk(`http://127.0.0.1:${backendPorts[0]}/api`, {
    connections: 1000,
    seconds: 10,
    latency: true,
  });
  console.log(
    `1,000 connections, no proxy (one backend): ${Math.round(direct.rps)} req/s, p99 ${direct.p99} ms, errors ${errorCount(direct)} ${JSON.stringify({ non2xx: direct.non2xx, ...direct.socketErrors })}`,
  );
  const many = await runWrk(`${base}/api`, { connections: 1000, seconds: 10, latency: true });
  console.log(
    `1,000 connections through Switchyard: ${Math.round(many.rps)} req/s, p99 ${many.p99} ms, errors ${errorCount(many)} ${JSON.stringify({ non2xx: many.non2xx, ...many.socketErrors })}`,
  );

  // Reload cost, paired: a twin proxy with the same configuration takes the same load at the
  // same time but is never reloaded, so both see the same moments of this shared machine
  // (one run after the other differs by ±10 % on its own). Compared by req/s and CPU/request.
  const twinDir = path.join(dir, 'twin');
  fs.mkdirSync(twinDir);
  const twinPort = await freePort();
  const twinLaunch = system.launch({ dir: twinDir, port: twinPort, backends: backendUrls });
  const twin = startProcess('switchyard-twin', twinLaunch.cmd, twinLaunch.args, {
    cwd: twinLaunch.cwd,
    logFile: path.join(twinDir, 'proxy.log'),
  });
  const twinBase = `http://127.0.0.1:${twinPort}`;
  await waitReady(`${twinBase}/api`, twin);
  await runWrk(`${twinBase}/api`, { connections: 25, seconds: 2 });
  const totals = {
    reloaded: { requests: 0, cpu: 0, errors: 0 },
    twin: { requests: 0, cpu: 0, errors: 0 },
  };
  let reloads = 0;
  const reloader = setInterval(() => {
    reloads++;
    // A real change each time (a weight), so every write is a new configuration to build and swap.
    fs.writeFileSync(
      dynamicFile,
      withStreams('').replace(
        /url: "(http:\/\/127\.0\.0\.1:\d+)"\n/,
        `url: "$1"\n            weight: ${1 + (reloads % 2)}\n`,
      ),
    );
  }, 1000);
  for (let w = 0; w < Math.max(1, Math.round(seconds / 5)); w++) {
    const before = [cpuTicks(proxy.pid), cpuTicks(twin.pid)];
    const [main, other] = await Promise.all([
      runWrk(`${base}/api`, { connections: 25, seconds: 5 }),
      runWrk(`${twinBase}/api`, { connections: 25, seconds: 5 }),
    ]);
    const after = [cpuTicks(proxy.pid), cpuTicks(twin.pid)];
    totals.reloaded.requests += main.requests ?? 0;
    totals.reloaded.cpu += cpuSecondsBetween(before[0], after[0]);
    totals.reloaded.errors += errorCount(main);
    totals.twin.requests += other.requests ?? 0;
    totals.twin.cpu += cpuSecondsBetween(before[1], after[1]);
    totals.twin.errors += errorCount(other);
  }
  clearInterval(reloader);
  await stopProcess(twin);
  const micros = (t) => (t.cpu * 1e6) / Math.max(1, t.requests);
  const { reloaded, twin: quiet } = totals;
  console.log(
    `reloads under load: ${reloads} reloads in ${seconds} s; ${reloaded.requests} requests vs ${quiet.requests} on the ` +
      `twin never reloaded (${((reloaded.requests / Math.max(1, quiet.requests) - 1) * 100).toFixed(1)} %), CPU ` +
      `${micros(reloaded).toFixed(1)} vs ${micros(quiet).toFixed(1)} µs/req, errors ${reloaded.errors} (twin: ${quiet.errors})`,
  );

  for (const direction of ['upload', 'download']) {
    const result = await streamThrough(`${base}/${direction === 'upload' ? 'sink' : 'source'}`, proxy.pid, direction);
    console.log(
      `${(streamBytes / 1024 ** 3).toFixed(2)} GiB ${direction}: ${result.bytes === streamBytes ? 'intact' : `WRONG SIZE ${result.bytes}`}, ` +
        `${(streamBytes / 1024 ** 2 / result.seconds).toFixed(0)} MiB/s, proxy RSS ${result.min.toFixed(0)}–${result.max.toFixed(0)} MiB`,
    );
  }
} finally {
  await stopProcess(proxy);
  for (const b of backends) await stopProcess(b);
  streamServer.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
