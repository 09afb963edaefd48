#!/usr/bin/env node
// Fault scenarios under load, with figures to report: requests sent, failed, retried, and
// latency (p50/p99) overall and during the fault (requests started within 1 s after it).
//   npm run build && node bench/faults.mjs [--requests=5000] [--concurrency=20] [--only=TEXT]
// Each scenario starts fresh: three `bench/backend.mjs` processes (plus a hanging one where
// needed) and the compiled Switchyard CLI with a watched dynamic file. Retries are counted
// from Switchyard's JSON access log, filtered to retried requests.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, killAllSync, startProcess, stopProcess, tail } from './lib/procs.mjs';
import { switchyardCommand } from './lib/systems.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const repoRoot = path.resolve(here, '..');
const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const TOTAL = Number(args.requests ?? 5000);
const CONCURRENCY = Number(args.concurrency ?? 20);
const FAULT_AT = Math.floor(TOTAL * 0.3);

if (!fs.existsSync(cli)) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
process.on('exit', killAllSync);
process.on('SIGINT', () => process.exit(130));

const HANGING = `require('node:http').createServer(() => {}).listen(Number(process.argv[1]), '127.0.0.1')`;

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(probe, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function get(url, agent) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve('reset'));
    });
    req.on('error', (e) => resolve(e.code ?? 'error'));
  });
}

function dynamicYaml(servers, { retry, passive, timeout }) {
  const lines = [
    'http:',
    '  routers:',
    '    api:',
    '      rule: "PathPrefix(`/`)"',
    '      service: api',
    ...(retry ? ['      middlewares: [retry]'] : []),
    ...(retry
      ? ['  middlewares:', '    retry:', '      retry:', '        attempts: 3', '        initialInterval: 10ms']
      : []),
    '  services:',
    '    api:',
    '      loadBalancer:',
    ...(timeout ? ['        serversTransport: quick'] : []),
    ...(passive
      ? ['        passiveHealthCheck:', '          failureWindow: 2s', '          maxFailedAttempts: 1']
      : []),
    '        servers:',
    ...servers.map((u) => `          - url: "${u}"`),
  ];
  if (timeout)
    lines.push(
      '  serversTransports:',
      '    quick:',
      '      forwardingTimeouts:',
      `        responseHeaderTimeout: ${timeout}`,
    );
  return `${lines.join('\n')}\n`;
}

/** One scenario: fresh processes, a load loop, a fault at request FAULT_AT. */
async function scenario(name, options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-faults-'));
  const log = path.join(dir, 'processes.log');
  const procs = [];
  try {
    const backends = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      procs.push(
        startProcess(`b${i}`, process.execPath, [path.join(here, 'backend.mjs'), String(port), `b${i}`], {
          logFile: log,
        }),
      );
      backends.push({ url: `http://127.0.0.1:${port}`, proc: procs.at(-1) });
    }
    let hanging = null;
    if (options.hang) {
      const port = await freePort();
      procs.push(startProcess('hanging', process.execPath, ['-e', HANGING, String(port)], { logFile: log }));
      hanging = `http://127.0.0.1:${port}`;
    }
    const servers = [...backends.map((b) => b.url), ...(hanging ? [hanging] : [])];
    const dynamicFile = path.join(dir, 'dynamic.yml');
    const accessLog = path.join(dir, 'access.json');
    fs.writeFileSync(dynamicFile, dynamicYaml(servers, options));
    const proxyPort = await freePort();
    const apiPort = await freePort();
    fs.writeFileSync(
      path.join(dir, 'switchyard.yml'),
      [
        'entryPoints:',
        `  web: { address: "127.0.0.1:${proxyPort}" }`,
        `  traefik: { address: "127.0.0.1:${apiPort}" }`,
        'providers:',
        `  file: { filename: "${dynamicFile}" }`,
        'log: { level: ERROR }',
        'accessLog:',
        `  filePath: "${accessLog}"`,
        '  format: json',
        '  filters: { retryAttempts: true }',
        '',
      ].join('\n'),
    );
    const proxy = startProcess(
      'switchyard',
      switchyardCommand().cmd,
      [...switchyardCommand().args, '--configFile', path.join(dir, 'switchyard.yml')],
      {
        logFile: log,
        cwd: repoRoot,
      },
    );
    procs.push(proxy);
    const base = `http://127.0.0.1:${proxyPort}/api`;
    const probeAgent = new http.Agent({ keepAlive: false });
    await waitUntil(async () => (await get(base, probeAgent)) === 200, 10_000, `${name}: the proxy`);

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const samples = [];
    let sent = 0;
    let faultAt = 0;
    const worker = async () => {
      while (sent < TOTAL) {
        const i = sent++;
        if (i === FAULT_AT) {
          faultAt = performance.now();
          options.fault?.({ backends, dynamicFile, servers });
        }
        const started = performance.now();
        const status = await get(base, agent);
        samples.push({ started, ms: performance.now() - started, status });
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = performance.now() - t0;
    agent.destroy();
    await sleep(300); // let the access log flush
    const retried = fs.existsSync(accessLog)
      ? fs
          .readFileSync(accessLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .reduce((sum, line) => sum + (JSON.parse(line).RetryAttempts ?? 0), 0)
      : 0;
    const failed = samples.filter((s) => s.status !== 200);
    const during = samples.filter((s) => s.started >= faultAt && s.started < faultAt + 1000);
    const byStatus = {};
    for (const s of failed) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    return {
      scenario: name,
      sent: samples.length,
      failed: failed.length,
      failures:
        Object.entries(byStatus)
          .map(([k, v]) => `${k}×${v}`)
          .join(' ') || '-',
      retried,
      reqPerSec: Math.round((samples.length / elapsed) * 1000),
      p50: quantile(samples, 0.5),
      p99: quantile(samples, 0.99),
      faultP99: quantile(during, 0.99),
      faultMax: quantile(during, 1),
    };
  } catch (error) {
    console.error(`${name} failed: ${error.message}\n${tail(log)}`);
    return { scenario: name, error: error.message };
  } finally {
    for (const p of procs.reverse()) await stopProcess(p, 2000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function quantile(samples, q) {
  if (samples.length === 0) return '-';
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)].toFixed(2));
}

const kill = ({ backends }) => backends[0].proc.child.kill('SIGKILL');
const remove = ({ dynamicFile, servers }) => {
  // Atomically, as editors save: the watcher sees one complete file.
  const text = fs.readFileSync(dynamicFile, 'utf8').replace(`          - url: "${servers[0]}"\n`, '');
  fs.writeFileSync(`${dynamicFile}.tmp`, text);
  fs.renameSync(`${dynamicFile}.tmp`, dynamicFile);
};

const scenarios = [
  ['SIGKILL 1 of 3, retry on', { retry: true, fault: kill }],
  ['SIGKILL 1 of 3, retry + passive health', { retry: true, passive: true, fault: kill }],
  ['SIGKILL 1 of 3, no retry (baseline)', { fault: kill }],
  ['remove 1 of 3 from the file', { fault: remove }],
  ['1 of 4 hangs, 1s header timeout', { hang: true, timeout: '1s' }],
  ['1 of 4 hangs, timeout + retry', { hang: true, timeout: '1s', retry: true }],
  ['1 of 4 hangs, timeout + retry + passive', { hang: true, timeout: '1s', retry: true, passive: true }],
];

console.log(`# fault scenarios: ${TOTAL} GETs, ${CONCURRENCY} keep-alive connections, fault at request ${FAULT_AT}`);
console.log(
  `# node ${process.version}, ${os.cpus().length} CPUs; latencies in ms; "fault" = requests started within 1 s of the fault`,
);
const rows = [];
for (const [name, options] of scenarios) {
  if (args.only === undefined || name.includes(args.only)) rows.push(await scenario(name, options));
}
const columns = [
  'scenario',
  'sent',
  'failed',
  'failures',
  'retried',
  'reqPerSec',
  'p50',
  'p99',
  'faultP99',
  'faultMax',
];
const cell = (row, c) => row[c] ?? (row.error === undefined ? '' : 'error');
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r, c)).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(columns));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows)
  console.log(line(columns.map((c) => row[c] ?? (c === 'scenario' ? row.scenario : row.error ? 'error' : ''))));
