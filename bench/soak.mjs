#!/usr/bin/env node
// `npm run soak`: a real Switchyard under mixed abuse for a long time (default 30 minutes),
// one line of figures per minute and a verdict at the end (exit 1 on any failure).
// Running at once: paced keep-alive load that must always succeed, a configuration reload every
// second, a backend added or removed every 10 s (removed from the file first, stopped once the
// proxy has let it go, as an orchestrator would), and every few seconds one hostile or aborting
// client from bench/lib/soak-hostile.mjs. See bench/README.md ("Soak") for how to read it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { waitReady } from './lib/check.mjs';
import { cpuSecondsBetween, cpuTicks, freePort, killAllSync, startProcess, stopProcess, tail } from './lib/procs.mjs';
import { dynamicYaml, staticYaml, writeAtomically } from './lib/soak-config.mjs';
import { CASES, runCase } from './lib/soak-hostile.mjs';
import { openFds, promFigures, quantile, rssMiB, servedUrls, startPinger } from './lib/soak-probe.mjs';
import { switchyardCommand } from './lib/systems.mjs';

const OPTIONS = {
  minutes: [30, 'how long the soak lasts'],
  connections: [20, 'steady load: keep-alive connections at most'],
  rate: [300, 'steady load: requests per second'],
  backends: [3, 'backends at start (scale events move between this and one more)'],
  'reload-every': [1, 'seconds between configuration reloads (0: none, to tell their cost apart)'],
  'scale-every': [10, 'seconds between scale events'],
  'hostile-every': [3, 'seconds between hostile/aborting clients (cases run in turn)'],
  'warmup-minutes': [1, 'minutes left out of the RSS/fd comparison'],
  'rss-growth-pct': [30, 'fail if RSS grows by more than this % …'],
  'rss-growth-mib': [40, '… and by more than this many MiB'],
  'fd-growth': [50, 'fail if open fds grow by more than this'],
};
const opt = Object.fromEntries(Object.entries(OPTIONS).map(([k, [v]]) => [k, v]));
let poison = true;
let keepTemp = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [name, inline] = argv[i].replace(/^--/, '').split('=');
  if (name === 'poison' || name === 'no-poison') poison = name === 'poison';
  else if (name === 'keep-temp') keepTemp = true;
  else if (name in OPTIONS) opt[name] = Number(inline ?? argv[++i]);
  else {
    console.log('usage: node bench/soak.mjs [options]   (after npm run build; or: npm run soak -- [options])');
    for (const [k, [v, what]] of Object.entries(OPTIONS)) console.log(`  --${k.padEnd(15)} ${what} (${v})`);
    console.log("  --no-poison       leave out the upstream answers that crash today's proxy (poison on by default)");
    console.log('  --keep-temp       keep configs and process logs (always kept when the soak fails)');
    process.exit(name === 'help' ? 0 : 2);
  }
}

const here = path.dirname(new URL(import.meta.url).pathname);
const { cmd, args: cliArgs } = switchyardCommand();
if (!fs.existsSync(cliArgs.at(-1))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
process.on('exit', killAllSync);
let interrupt;
const interrupted = new Promise((r) => {
  interrupt = r;
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => interrupt(signal));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-soak-'));
const logFile = path.join(dir, 'processes.log');
const proxyLog = path.join(dir, 'proxy.log');
const dynamicFile = path.join(dir, 'dynamic.yml');
const loadStatsFile = path.join(dir, 'load.json');
const clock = (ms) => {
  const secs = Math.round(ms / 1000); // a minute's line comes a few ms early or late: 07:00, not 06:59
  return `${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
};

// --- processes ------------------------------------------------------------------------------
let backendCount = 0;
async function startBackend() {
  const port = await freePort();
  const id = `b${backendCount++}`;
  const handle = startProcess(id, process.execPath, [path.join(here, 'backend.mjs'), String(port), id], { logFile });
  const ready = await waitReady(`http://127.0.0.1:${port}/api`, handle);
  if (!ready.ok) throw new Error(`backend ${id}: ${ready.reason}`);
  return { url: `http://127.0.0.1:${port}`, handle };
}

const pool = [];
for (let i = 0; i < opt.backends; i++) pool.push(await startBackend());
const oddPort = await freePort();
const odd = startProcess(
  'soak-upstream',
  process.execPath,
  [path.join(here, 'lib/soak-upstream.mjs'), String(oddPort)],
  {
    logFile,
  },
);
let variant = 0;
let writes = 0;
function writeDynamic() {
  writes++;
  const servers = pool.map((b) => b.url);
  writeAtomically(dynamicFile, dynamicYaml({ servers, oddUrl: `http://127.0.0.1:${oddPort}`, variant }));
}
writeDynamic();
const webPort = await freePort();
const apiPort = await freePort();
const staticFile = path.join(dir, 'switchyard.yml');
fs.writeFileSync(staticFile, staticYaml({ webPort, apiPort, dynamicFile }));
const proxy = startProcess('switchyard', cmd, [...cliArgs, '--configFile', staticFile], {
  logFile: proxyLog,
  cwd: path.resolve(here, '..'),
});
const web = `http://127.0.0.1:${webPort}`;
const apiBase = `http://127.0.0.1:${apiPort}`;
const ready = await waitReady(`${web}/api`, proxy);
if (!ready.ok) {
  console.error(`the proxy did not start: ${ready.reason}\n${tail(proxyLog)}`);
  process.exit(1);
}
let proxyDeath = null;

const seconds = Math.round(opt.minutes * 60);
const load = startProcess(
  'load',
  process.execPath,
  [
    path.join(here, 'lib/soak-load.mjs'),
    web,
    String(opt.connections),
    String(opt.rate),
    String(seconds),
    loadStatsFile,
  ],
  { logFile },
);
const readLoad = () => {
  try {
    return JSON.parse(fs.readFileSync(loadStatsFile, 'utf8'));
  } catch {
    return { ok: 0, failed: 0, skipped: 0, reasons: {}, lastFailure: null };
  }
};
// Requests that fail once the proxy is gone are the crash's consequence: told apart in the summary.
let stoppingProxy = false;
proxy.exitPromise.then(() => {
  if (stoppingProxy) return; // our own SIGTERM at the end
  proxyDeath = { at: Date.now(), code: proxy.exitCode, signal: proxy.signal, load: readLoad() };
});
const cases = CASES.filter((c) => poison || !c.poison);
console.log(
  `# soak: ${opt.minutes} min, Switchyard pid ${proxy.pid} on ${web}, ${opt.rate} req/s over ≤${opt.connections} connections, ` +
    `reload every ${opt['reload-every']} s, scale every ${opt['scale-every']} s, one of ${cases.length} hostile cases every ${opt['hostile-every']} s` +
    `${poison ? '' : ' (--no-poison)'}; node ${process.version}, ${os.cpus().length} CPUs`,
);

// --- activities, each a loop that stops when `ending` is set -------------------------------------
const started = Date.now();
let ending = false;
const counts = { reloads: 0, added: 0, removed: 0, unconfirmed: 0 };
const hostile = new Map(cases.map((c) => [c.name, { pass: 0, fail: 0, outcomes: new Map() }]));
let lastCase = null;

const reload = () => {
  variant = 1 - variant;
  writeDynamic();
  counts.reloads++;
};
const reloader = opt['reload-every'] > 0 ? setInterval(reload, opt['reload-every'] * 1000) : null;

/** Poll the API until the pool's server list does (or does not) include `url`; false after 5 s. */
async function confirmed(url, present) {
  for (let until = Date.now() + 5000; Date.now() < until; await sleep(100)) {
    if (proxyDeath) return false; // the crash is reported; this is only its consequence
    const urls = await servedUrls(apiBase, 'pool@file');
    if (urls && urls.includes(url) === present) return true;
  }
  counts.unconfirmed++;
  return false;
}

async function scaleLoop() {
  for (let grow = true; !ending; grow = !grow) {
    await sleep(opt['scale-every'] * 1000);
    if (ending || proxyDeath) return;
    if (grow) {
      const backend = await startBackend();
      pool.push(backend);
      writeDynamic();
      await confirmed(backend.url, true);
      counts.added++;
    } else {
      // The oldest leaves: out of the configuration first, stopped only once the proxy has
      // dropped it and requests already sent to it have had a second to finish.
      const [leaving] = pool.splice(0, 1);
      writeDynamic();
      await confirmed(leaving.url, false);
      await sleep(1000);
      await stopProcess(leaving.handle);
      counts.removed++;
    }
  }
}

async function hostileLoop() {
  for (let n = 0; !ending; n++) {
    await sleep(opt['hostile-every'] * 1000);
    if (ending || proxyDeath) return;
    const c = cases[n % cases.length];
    lastCase = c.name;
    const { pass, outcome } = await runCase(c, `c${n}`, webPort, oddPort);
    await sleep(200); // a crash takes a moment to show as an exit
    const seen = hostile.get(c.name);
    const final = proxyDeath ? `${outcome}, then the proxy died` : outcome;
    if (pass && !proxyDeath) seen.pass++;
    else seen.fail++;
    seen.outcomes.set(final, (seen.outcomes.get(final) ?? 0) + 1);
  }
}

// --- per-minute figures -------------------------------------------------------------------------
const pinger = startPinger(`${apiBase}/ping`);
// The same machine's scheduling noise, seen by this process: a control for the ping figures
// (on 2 shared cores a busy neighbour shows up in both).
const ownDelay = monitorEventLoopDelay({ resolution: 10 });
ownDelay.enable();
// Switchyard's registry has no default Node.js metrics today; the lag column appears if it ever does.
const promAtStart = await promFigures(`${apiBase}/metrics`);
const promHasLag = promAtStart.lag !== null;
if (!promHasLag)
  console.log('# /metrics has no nodejs_eventloop_lag_seconds: event-loop delay from /ping latency only');
// Tables the proxy built (its reload counter) against files written: writes close together
// (a scale event next to a reload) may be coalesced into one build, so fewer is normal.
const built = { atStart: promAtStart.reloads, last: promAtStart.reloads, writesAtStart: writes };
let minute = {
  rss: [],
  fds: [],
  cpu: cpuTicks(proxy.pid),
  at: started,
  load: readLoad(),
  counts: { ...counts },
  writes,
  built: built.last,
};
let hostileBefore = { pass: 0, fail: 0 };
const minutes = [];
const sampler = setInterval(() => {
  if (proxyDeath) return;
  minute.rss.push(rssMiB(proxy.pid));
  minute.fds.push(openFds(proxy.pid));
}, 1000);

const hostileTotals = () =>
  [...hostile.values()].reduce((t, h) => ({ pass: t.pass + h.pass, fail: t.fail + h.fail }), { pass: 0, fail: 0 });
const fmt = (v, digits = 1) => (v === null || v === undefined ? '—' : v.toFixed(digits));

async function closeMinute(partial) {
  const now = Date.now();
  const loadNow = readLoad();
  const ping = pinger.take();
  const prom = proxyDeath ? { reloads: null, lag: null } : await promFigures(`${apiBase}/metrics`);
  const lag = prom.lag;
  if (prom.reloads !== null) built.last = prom.reloads;
  const builtNow = prom.reloads === null || minute.built === null ? null : prom.reloads - minute.built;
  const own = ownDelay.percentile(99) / 1e6;
  ownDelay.reset();
  const cpu = proxyDeath
    ? null
    : (cpuSecondsBetween(minute.cpu, cpuTicks(proxy.pid)) / ((now - minute.at) / 1000)) * 100;
  const h = hostileTotals();
  const record = {
    rss: quantile(minute.rss, 0.5),
    fds: quantile(minute.fds, 0.5),
    partial,
  };
  minutes.push(record);
  const d = (k) => counts[k] - minute.counts[k];
  console.log(
    `[${clock(now - started)}]${partial ? '*' : ' '} ok ${loadNow.ok - minute.load.ok} failed ${loadNow.failed - minute.load.failed}` +
      ` | reloads ${d('reloads')} scale ${d('added') + d('removed')} (${pool.length} servers)` +
      ` writes ${writes - minute.writes} built ${builtNow ?? '—'}` +
      ` | hostile ok ${h.pass - hostileBefore.pass} bad ${h.fail - hostileBefore.fail}` +
      ` | RSS ${fmt(record.rss)} MiB fds ${record.fds ?? '—'}` +
      ` | ping min ${fmt(quantile(ping.samples, 0), 2)} p99 ${fmt(quantile(ping.samples, 0.99), 2)} ms` +
      `${ping.failures ? ` (${ping.failures} failed)` : ''} (soak's own loop p99 ${own.toFixed(1)})` +
      `${promHasLag ? ` lag ${lag === null ? '—' : `${(lag * 1000).toFixed(1)} ms`}` : ''}` +
      ` | CPU ${fmt(cpu, 0)} %`,
  );
  hostileBefore = h;
  minute = {
    rss: [],
    fds: [],
    cpu: proxyDeath ? null : cpuTicks(proxy.pid),
    at: now,
    load: loadNow,
    counts: { ...counts },
    writes,
    built: prom.reloads,
  };
}

// A loop that throws (a backend that would not start) ends the soak's verdict, not the soak.
const harnessErrors = [];
const loops = [scaleLoop(), hostileLoop()].map((p) => p.catch((e) => harnessErrors.push(e.message)));
const deadline = started + seconds * 1000;
let stopReason = 'time';
while (Date.now() < deadline) {
  const nextMinute = started + (minutes.length + 1) * 60_000;
  const wake = Math.min(nextMinute, deadline);
  const why = await Promise.race([
    sleep(wake - Date.now()).then(() => 'tick'),
    proxy.exitPromise.then(() => 'died'),
    interrupted,
  ]);
  if (why === 'died') {
    stopReason = 'died';
    await sleep(50); // let the exit handler record the death
    break;
  }
  if (why !== 'tick') {
    stopReason = why;
    break;
  }
  if (Date.now() >= nextMinute - 50) await closeMinute(false);
}

// --- wind down and judge --------------------------------------------------------------------------
ending = true;
clearInterval(reloader);
clearInterval(sampler);
if (Date.now() - minute.at > 5000) await closeMinute(true);
pinger.stop();
// The load stops on its own at the deadline and reports what is still in flight; otherwise end it.
if (stopReason === 'time') await Promise.race([load.exitPromise, sleep(12_000)]);
await stopProcess(load);
await Promise.race([Promise.all(loops), sleep(10_000)]);
const finalLoad = readLoad();
const proxyAlive = !proxy.exited;
if (proxyAlive) {
  await sleep(500); // the last write's debounce
  built.last = (await promFigures(`${apiBase}/metrics`)).reloads ?? built.last;
}
stoppingProxy = true;
await stopProcess(proxy);
for (const b of pool) await stopProcess(b.handle);
await stopProcess(odd);

const failures = [];
const elapsed = clock(Date.now() - started);
console.log(
  `\n== summary after ${elapsed} (${stopReason === 'time' ? 'full run' : `stopped early: ${stopReason}`}) ==`,
);
if (proxyDeath) {
  const how = `exit code ${proxyDeath.code}, signal ${proxyDeath.signal}`;
  failures.push(
    `the proxy DIED at ${clock(proxyDeath.at - started)} (${how}); last hostile case: ${lastCase ?? 'none'}`,
  );
  console.log(
    `PROXY DIED at ${clock(proxyDeath.at - started)} (${how}), last hostile case started: ${lastCase ?? 'none'}`,
  );
  console.log(`last lines of its log:\n${tail(proxyLog, 1500)}`);
} else if (!proxyAlive) failures.push('the proxy was not running at the end');
console.log(
  `steady load: ${finalLoad.ok} ok, ${finalLoad.failed} failed` +
    ` (${finalLoad.skipped} not sent: all ${opt.connections} connections busy)`,
);
if (finalLoad.failed > 0) {
  const reasons = Object.entries(finalLoad.reasons).map(([k, v]) => `${k} ×${v}`);
  console.log(`  by reason: ${reasons.join(', ')}; last: ${JSON.stringify(finalLoad.lastFailure)}`);
  const before = proxyDeath ? proxyDeath.load.failed : finalLoad.failed;
  if (proxyDeath) console.log(`  of which ${finalLoad.failed - before} at or after its death`);
  if (before > 0) failures.push(`${before} steady requests failed${proxyDeath ? ' while the proxy was alive' : ''}`);
}
console.log(
  `reloads ${counts.reloads}; scale events ${counts.added + counts.removed} (${counts.added} added, ${counts.removed} removed)` +
    `; a server list not shown by the API within 5 s: ${counts.unconfirmed}` +
    `; files written ${writes - built.writesAtStart}, tables built ${built.atStart === null || proxyDeath ? '— (unreadable)' : built.last - built.atStart}`,
);
if (counts.unconfirmed > 0) failures.push(`${counts.unconfirmed} scale events not applied within 5 s`);
console.log('hostile and aborting clients (pass/runs, expected → seen):');
for (const c of cases) {
  const h = hostile.get(c.name);
  const seen = [...h.outcomes].map(([o, n]) => `${o} ×${n}`).join('; ') || 'not run';
  const mark = h.fail ? 'FAIL' : h.pass ? 'ok  ' : '-   ';
  console.log(`  ${mark} ${c.name.padEnd(34)} ${h.pass}/${h.pass + h.fail}  expected ${c.expect} → ${seen}`);
  if (h.fail)
    failures.push(`hostile case "${c.name}": ${h.fail} of ${h.pass + h.fail} answered otherwise than ${c.expect}`);
}

// Memory and fds: the first full minute after the warm-up against the last full minute.
const full = minutes.filter((m) => !m.partial && m.rss !== null);
const warm = opt['warmup-minutes'];
if (full.length >= 2) {
  const baseIndex = full.length > warm + 1 ? warm : 0;
  const [first, last] = [full[baseIndex], full.at(-1)];
  const note = baseIndex === warm ? '' : ' (run too short for the warm-up: compared from minute 1)';
  const grew = last.rss - first.rss;
  const pct = (grew / first.rss) * 100;
  const rssBad = pct > opt['rss-growth-pct'] && grew > opt['rss-growth-mib'];
  console.log(
    `RSS (median of each minute): minute ${baseIndex + 1} ${first.rss.toFixed(1)} MiB → minute ${full.length} ` +
      `${last.rss.toFixed(1)} MiB (${grew >= 0 ? '+' : ''}${grew.toFixed(1)} MiB, ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %)` +
      `; fails above +${opt['rss-growth-pct']} % and +${opt['rss-growth-mib']} MiB → ${rssBad ? 'FAIL' : 'ok'}${note}`,
  );
  if (rssBad) failures.push(`RSS grew by ${grew.toFixed(1)} MiB (${pct.toFixed(1)} %)`);
  const fdGrew = last.fds - first.fds;
  const fdBad = fdGrew > opt['fd-growth'];
  console.log(
    `open fds (median of each minute): minute ${baseIndex + 1} ${first.fds} → minute ${full.length} ${last.fds} ` +
      `(${fdGrew >= 0 ? '+' : ''}${fdGrew}); fails above +${opt['fd-growth']} → ${fdBad ? 'FAIL' : 'ok'}`,
  );
  if (fdBad) failures.push(`open fds grew by ${fdGrew}`);
} else console.log('RSS/fds: fewer than 2 full minutes, no growth comparison');

for (const e of harnessErrors) failures.push(`soak harness error: ${e}`);
// The proxy logs at ERROR level only: anything there is worth a look.
const logLines = fs.existsSync(proxyLog) ? fs.readFileSync(proxyLog, 'utf8').split('\n').filter(Boolean).length : 0;
console.log(`proxy log: ${logLines} lines at ERROR level or above${logLines ? ` (${proxyLog})` : ''}`);
if (logLines && !proxyDeath) keepTemp = true;
if (failures.length || keepTemp) console.log(`configs and process logs kept in ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });
console.log(failures.length ? `verdict: FAIL\n${failures.map((f) => `  - ${f}`).join('\n')}` : 'verdict: PASS');
process.exit(failures.length ? 1 : 0);
