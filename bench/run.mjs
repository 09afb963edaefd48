#!/usr/bin/env node
// Switchyard benchmark harness: the method of docs/performance.md ("How it is measured") in one
// command. See bench/README.md.
//   node bench/run.mjs [--rounds 3] [--duration 10s] [--connections 50] [--systems a,b] [--quick]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkCorrectness, waitReady } from './lib/check.mjs';
import { runH2load } from './lib/h2load.mjs';
import {
  CLK_TCK,
  cpuSecondsBetween,
  cpuTicks,
  freePort,
  killAllSync,
  peakRssBytes,
  startProcess,
  stopProcess,
  tail,
} from './lib/procs.mjs';
import { median, summarise, table } from './lib/report.mjs';
import { repoRoot, SYSTEMS } from './lib/systems.mjs';
import { runTlsBench } from './lib/tls-bench.mjs';
import { errorCount, runWrk } from './lib/wrk.mjs';

const MiB = 1024 * 1024;
const READY_DEADLINE_MS = 10_000;
const WARMUP_SECONDS = 2;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      systems: { type: 'string' },
      quick: { type: 'boolean', default: false },
      tls: { type: 'string' },
      'keep-temp': { type: 'boolean', default: false },
      'skip-h2': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: node bench/run.mjs [options]
  --rounds N          rounds of turns (default 3; 1 with --quick)
  --duration S        measured /api run, seconds, e.g. 10 or 10s (default 10; 3 with --quick)
  --connections N     wrk connections (default 50)
  --systems a,b,c     subset and order; known: ${SYSTEMS.map((s) => s.name).join(', ')}
  --quick             1 round, 3 s runs (development)
  --tls yes|no|only   the HTTPS rows (Switchyard and nginx over TLS: keep-alive req/s, new
                      TLS 1.3 handshakes/s); default yes (needs nginx and openssl)
  --keep-temp         keep the generated configs and logs
  --skip-h2           no HTTP/2 row (h2load -c50 -m10 on the systems that serve HTTP/2)`);
    process.exit(0);
  }
  const int = (v, name) => {
    const n = Number(String(v).replace(/s$/, ''));
    if (!Number.isInteger(n) || n <= 0) {
      console.error(`--${name}: expected a positive integer, got ${JSON.stringify(v)}`);
      process.exit(2);
    }
    return n;
  };
  const rounds = int(values.rounds ?? (values.quick ? 1 : 3), 'rounds');
  const duration = int(values.duration ?? (values.quick ? 3 : 10), 'duration');
  const connections = int(values.connections ?? 50, 'connections');
  const names = values.systems
    ? values.systems
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : SYSTEMS.filter((s) => !s.optional).map((s) => s.name);
  const unknown = names.filter((n) => !SYSTEMS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown system(s): ${unknown.join(', ')}; known: ${SYSTEMS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  return {
    rounds,
    duration,
    bigDuration: Math.max(3, Math.round(duration / 2)),
    connections,
    systems: names.map((n) => SYSTEMS.find((s) => s.name === n)),
    keepTemp: values['keep-temp'],
    tls: values.tls ?? 'yes',
    handshakeSeconds: Math.max(3, Math.round(duration / 2)),
    h2: !values['skip-h2'],
  };
}

function findBinary(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin']) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * wrk is required; nginx and haproxy only for their systems; h2load (nghttp2-client) for the
 * HTTP/2 row, which is left out without it. Installs them with apt when root.
 */
function ensureTools(systems) {
  const wanted = { wrk: 'wrk', nginx: 'nginx', haproxy: 'haproxy', h2load: 'h2load' };
  let bin = Object.fromEntries(Object.entries(wanted).map(([k, n]) => [k, findBinary(n)]));
  const missing = Object.keys(bin).filter(
    (k) => !bin[k] && (k === 'wrk' || k === 'h2load' || systems.some((s) => s.needs === k)),
  );
  if (missing.length) {
    if (process.getuid?.() === 0 && findBinary('apt-get')) {
      console.error(
        `# installing missing tools (${missing.join(', ')}): apt-get install -y wrk nginx-light haproxy nghttp2-client`,
      );
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      spawnSync('apt-get', ['install', '-y', 'wrk', 'nginx-light', 'haproxy', 'nghttp2-client'], {
        stdio: 'inherit',
        env,
      });
      bin = Object.fromEntries(Object.entries(wanted).map(([k, n]) => [k, findBinary(n)]));
    } else {
      console.error(`# missing: ${missing.join(', ')} (run as root to let the harness apt-get install them)`);
    }
  }
  if (!bin.wrk) {
    console.error('wrk is required and could not be found or installed');
    process.exit(1);
  }
  return bin;
}

function toolVersions(bin) {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim() || null;
  };
  return {
    node: process.version,
    wrk: run(bin.wrk, ['-v']),
    nginx: bin.nginx ? run(bin.nginx, ['-v']) : null,
    haproxy: bin.haproxy ? run(bin.haproxy, ['-v']) : null,
    h2load: bin.h2load ? run(bin.h2load, ['--version']) : null,
    switchyard: JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version,
  };
}

let currentWrk = null;
let tmpRoot = null;
let keepTemp = false;

function cleanupAndExit(code) {
  if (currentWrk) currentWrk.kill('SIGKILL');
  killAllSync();
  if (tmpRoot && !keepTemp) fs.rmSync(tmpRoot, { recursive: true, force: true });
  process.exit(code);
}

const log = (msg) => console.error(msg);

async function startBackends(count) {
  const backends = [];
  for (let i = 1; i <= count; i++) {
    const port = await freePort();
    const id = `backend-${i}`;
    const logFile = path.join(tmpRoot, `${id}.log`);
    const handle = startProcess(id, process.execPath, [path.join(repoRoot, 'bench/backend.mjs'), String(port), id], {
      logFile,
    });
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitReady(`${url}/api`, handle, READY_DEADLINE_MS);
    if (!ready.ok) throw new Error(`${id} did not start: ${ready.reason}\n${tail(logFile)}`);
    backends.push({ id, url, port, handle });
  }
  return backends;
}

/** One turn: start the system fresh, check it, warm it up, measure it, stop it. */
async function runTurn(system, round, opts, ctxBase) {
  const port = await freePort();
  const dir = path.join(tmpRoot, `r${round}-${system.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'output.log');
  const result = { system: system.name, round, status: 'ok' };
  let handle = null;
  const track = (child) => {
    currentWrk = child;
  };
  try {
    let base;
    let ids;
    let h2Targets = [];
    if (!system.launch) {
      base = ctxBase.backends[0].url;
      ids = [ctxBase.backends[0].id];
    } else {
      if (system.needs && !ctxBase.bin[system.needs]) {
        return { ...result, status: 'not installed', reason: `${system.needs} binary not found` };
      }
      const launched = system.launch({
        port,
        h2Port: await freePort(),
        dir,
        backends: ctxBase.backends.map((b) => b.url),
        bin: ctxBase.bin,
      });
      const { cmd, args, cwd } = launched;
      h2Targets = opts.h2 && ctxBase.bin.h2load ? (launched.h2 ?? []) : [];
      result.command = [cmd, ...args].join(' ');
      handle = startProcess(system.name, cmd, args, { logFile, cwd });
      base = `http://127.0.0.1:${port}`;
      ids = ctxBase.backends.map((b) => b.id);
      const ready = await waitReady(`${base}/api`, handle, READY_DEADLINE_MS);
      if (!ready.ok) {
        const hint = logHint(logFile);
        return {
          ...result,
          status: 'failed to start',
          reason: ready.reason + (hint ? ` — ${hint}` : ''),
          log: tail(logFile),
        };
      }
    }
    const check = await checkCorrectness(base, ids, { everyBackend: system.spreadsRequests !== false });
    result.check = check;
    if (!check.ok) return { ...result, status: 'failed check', reason: check.problems.join('; '), log: tail(logFile) };

    const wrkOpts = { connections: opts.connections, track };
    await runWrk(`${base}/api`, { ...wrkOpts, seconds: WARMUP_SECONDS });
    const before = handle ? cpuTicks(handle.pid) : null;
    const api = await runWrk(`${base}/api`, { ...wrkOpts, seconds: opts.duration, latency: true });
    const after = handle ? cpuTicks(handle.pid) : null;
    const big = await runWrk(`${base}/big`, { ...wrkOpts, seconds: opts.bigDuration });
    // HTTP/2: h2load -c50 -m10 on /api, CPU per request measured the same way.
    const h2 = {};
    for (const target of h2Targets) {
      const h2Before = cpuTicks(handle.pid);
      const run = await runH2load(`${target.url}/api`, {
        clients: 50,
        streams: 10,
        seconds: opts.duration,
        warmup: WARMUP_SECONDS,
        track,
      });
      const h2After = cpuTicks(handle.pid);
      const cpu = cpuSecondsBetween(h2Before, h2After);
      h2[target.name] = {
        rps: run.rps,
        requests: run.requests,
        // Failed or errored requests and answers other than 2xx. With -D, h2load also counts as
        // failed the requests still in flight when the window closes (up to -c × -m = 500): a
        // slower proxy shows some there with none failing (a -n run of the same load has none).
        errors: (run.failed ?? 0) + (run.errored ?? 0) + run.non2xx,
        // The CPU window includes the warm-up: per request over everything h2load sent.
        cpuUsPerReq: run.requests ? (cpu * 1e6) / (run.requests * (1 + WARMUP_SECONDS / opts.duration)) : null,
      };
    }
    if (handle?.exited) {
      return {
        ...result,
        status: 'crashed',
        reason: `exited during the runs (code ${handle.exitCode})`,
        log: tail(logFile),
      };
    }
    Object.assign(result, {
      rps: api.rps,
      requests: api.requests,
      p50: api.p50,
      p75: api.p75,
      p90: api.p90,
      p99: api.p99,
      errors: errorCount(api),
      cpuSeconds: handle ? cpuSecondsBetween(before, after) : null,
      cpuUsPerReq: handle && api.requests ? (cpuSecondsBetween(before, after) * 1e6) / api.requests : null,
      processes: handle ? after.size : null,
      peakRssMiB: handle ? peakRssBytes(handle.pid) / MiB : null,
      bigMiBps: big.bytesPerSec / MiB,
      bigRps: big.rps,
      bigErrors: errorCount(big),
      wrkApi: api.raw,
      h2,
    });
    return result;
  } catch (err) {
    return { ...result, status: 'error', reason: err.message, log: tail(logFile) };
  } finally {
    if (handle) await stopProcess(handle, 3000);
  }
}

/** The line of a failed process's output most likely to say why (an error line, else the last one). */
function logHint(logFile) {
  const lines = tail(logFile, 4000)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const hit = lines.find((l) => /\b(error|alert|emerg|fatal|cannot)\b/i.test(l) && !/^at\s/.test(l)) ?? lines.at(-1);
  return hit ? hit.slice(0, 200) : '';
}

/** The HTTP/2 rows: one per system and target (h2c, h2 over TLS), ratios against nginx's same target. */
function http2Table(systems, turns) {
  const rows = [];
  for (const system of systems) {
    const ok = turns.filter((t) => t.system === system.name && t.status === 'ok' && t.h2);
    const names = new Set(ok.flatMap((t) => Object.keys(t.h2)));
    for (const name of names) {
      const runs = ok.map((t) => t.h2[name]).filter(Boolean);
      rows.push({
        system: system.name,
        target: name,
        rps: median(runs.map((r) => r.rps)),
        cpu: median(runs.map((r) => r.cpuUsPerReq)),
        errors: runs.reduce((n, r) => n + r.errors, 0),
      });
    }
  }
  if (rows.length === 0) return '';
  const ref = (target) => rows.find((r) => r.system === 'nginx' && r.target === target)?.rps ?? null;
  const lines = ['| system | protocol | req/s | × nginx | CPU µs/req | errors |', '|---|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const base = ref(r.target);
    lines.push(
      `| ${r.system} | ${r.target} | ${Math.round(r.rps ?? 0).toLocaleString('en-US')} | ${base ? (r.rps / base).toFixed(2) : '—'} | ${r.cpu === null ? '—' : r.cpu.toFixed(1)} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

function describe(r) {
  if (r.status !== 'ok') return `${r.status}: ${r.reason}`;
  const cpu = r.cpuUsPerReq === null ? '' : `, ${r.cpuUsPerReq.toFixed(1)} µs/req CPU, ${r.peakRssMiB.toFixed(1)} MiB`;
  return `${Math.round(r.rps).toLocaleString('en-US')} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${cpu}, 64 KiB ${r.bigMiBps.toFixed(1)} MiB/s`;
}

async function main() {
  const opts = parseOptions();
  keepTemp = opts.keepTemp;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      log(`\n# ${sig}: stopping every process started`);
      cleanupAndExit(130);
    });
  }
  process.on('exit', () => killAllSync());

  const bin = ensureTools(opts.systems);
  const versions = toolVersions(bin);
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    kernel: os.release(),
    clockTicks: CLK_TCK,
  };
  log(
    `# ${opts.rounds} round(s) × ${opts.systems.length} system(s); /api ${opts.duration} s, /big ${opts.bigDuration} s, warm-up ${WARMUP_SECONDS} s, ${opts.connections} connections, 1 wrk thread`,
  );
  log(
    `# ${machine.cpus} CPU(s) ${machine.cpuModel}; ${Object.entries(versions)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );

  const backends = await startBackends(2);
  const ctxBase = { backends, bin };
  const turns = [];
  for (let round = 1; round <= (opts.tls === 'only' ? 0 : opts.rounds); round++) {
    for (const system of opts.systems) {
      log(`# round ${round}/${opts.rounds}: ${system.name} …`);
      const r = await runTurn(system, round, opts, ctxBase);
      log(`#   ${describe(r)}`);
      turns.push(r);
      await new Promise((res) => setTimeout(res, 300));
    }
  }
  let tls = null;
  if (opts.tls !== 'no') {
    tls = await runTlsBench(
      opts,
      {
        backends: backends.map((b) => b.url),
        bin,
        tmpRoot,
        track: (child) => {
          currentWrk = child;
        },
      },
      log,
    );
  }
  for (const b of backends) await stopProcess(b.handle, 3000);

  const rows = opts.systems.map((s) =>
    summarise(
      s.name,
      s.label,
      turns.filter((t) => t.system === s.name),
    ),
  );
  const { table: md, notes } = table(rows);
  const h2Table = opts.h2 ? http2Table(opts.systems, turns) : '';
  const date = new Date().toISOString();
  if (opts.tls !== 'only') {
    console.log(
      `\nSwitchyard benchmark — ${date}; median of ${opts.rounds} round(s); wrk -t1 -c${opts.connections} -d${opts.duration}s; ${machine.cpus} CPU(s)\n`,
    );
    console.log(md);
    if (notes) console.log(`\n${notes}`);
  }
  if (tls !== null) {
    console.log(
      `\nHTTPS (same certificate, P-256; HTTP/2 over TLS: h2load -c50 -m10 by ALPN; handshakes: 2 × openssl s_time -new -tls1_3 for ${opts.handshakeSeconds} s)\n`,
    );
    console.log(tls.table);
  }
  if (h2Table) console.log(`\nHTTP/2 — h2load -c50 -m10 -D${opts.duration} on /api (median of rounds)\n\n${h2Table}`);

  const outDir = path.join(repoRoot, 'bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, 'latest.json');
  fs.writeFileSync(
    out,
    `${JSON.stringify(
      {
        date,
        options: { ...opts, systems: opts.systems.map((s) => s.name) },
        machine,
        versions,
        summary: rows,
        turns,
        table: md,
        tls,
        http2Table: h2Table,
      },
      null,
      2,
    )}\n`,
  );
  log(`\n# results written to ${path.relative(process.cwd(), out) || out}`);
  if (tmpRoot && !keepTemp) fs.rmSync(tmpRoot, { recursive: true, force: true });
  else log(`# configs and logs kept in ${tmpRoot}`);
}

main().catch((err) => {
  console.error(err.stack || err.message);
  cleanupAndExit(1);
});
