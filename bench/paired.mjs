#!/usr/bin/env node
// Before/after in the same seconds: this build and a reference build (SWITCHYARD_REF, or --ref)
// run side by side in front of the same two backends, each under its own `wrk -c25` started at
// the same moment, for several runs. On a shared 2-core machine sequential runs drift by ±20 %
// between turns; two proxies measured at once see the same machine, so their CPU µs per request
// compare within a few percent. Prints each run and the medians.
//   npm run build && node bench/paired.mjs --ref /path/to/checkout [--runs 6] [--seconds 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { waitReady } from './lib/check.mjs';
import { cpuSecondsBetween, cpuTicks, freePort, killAllSync, startProcess, stopProcess } from './lib/procs.mjs';
import { repoRoot, switchyardCommand } from './lib/systems.mjs';
import { runWrk } from './lib/wrk.mjs';

const { values } = parseArgs({
  options: {
    ref: { type: 'string', default: process.env.SWITCHYARD_REF },
    runs: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    path: { type: 'string', default: '/api' },
  },
});
if (!values.ref) {
  console.error('usage: node bench/paired.mjs --ref <checkout with a built dist/> [--runs N] [--seconds S]');
  process.exit(2);
}
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-paired-'));
process.on('exit', () => {
  killAllSync();
  fs.rmSync(tmp, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

async function start(name, cmd, args) {
  const handle = startProcess(name, cmd, args, { logFile: path.join(tmp, `${name}.log`), cwd: repoRoot });
  return handle;
}

const backends = [];
for (let i = 1; i <= 2; i++) {
  const port = await freePort();
  const handle = await start(`backend-${i}`, process.execPath, [
    path.join(repoRoot, 'bench/backend.mjs'),
    String(port),
    `backend-${i}`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitReady(`${url}/api`, handle)).ok) throw new Error(`backend ${i} did not start`);
  backends.push(url);
}

async function proxy(name, main) {
  const port = await freePort();
  const dynamic = path.join(tmp, `${name}-dynamic.yml`);
  const servers = backends.map((u) => `          - url: "${u}"`).join('\n');
  fs.writeFileSync(
    dynamic,
    `http:\n  routers:\n    bench:\n      rule: "PathPrefix(\`/\`)"\n      service: bench\n  services:\n    bench:\n      loadBalancer:\n        servers:\n${servers}\n`,
  );
  const staticFile = path.join(tmp, `${name}.yml`);
  fs.writeFileSync(
    staticFile,
    `entryPoints:\n  web:\n    address: "127.0.0.1:${port}"\nproviders:\n  file:\n    filename: "${dynamic}"\nlog:\n  level: ERROR\n`,
  );
  const { cmd, args } = switchyardCommand(main);
  const handle = await start(name, cmd, [...args, '--configFile', staticFile]);
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitReady(`${url}${values.path}`, handle)).ok) throw new Error(`${name} did not start`);
  return { name, url, handle };
}

const current = await proxy('current', path.join(repoRoot, 'dist/src/cli/main.js'));
const reference = await proxy('reference', path.join(path.resolve(values.ref), 'dist/src/cli/main.js'));
const both = [current, reference];
await Promise.all(both.map((p) => runWrk(`${p.url}${values.path}`, { connections: 25, seconds: 2 })));

const rows = { current: [], reference: [] };
console.log(`# ${runs} runs of ${seconds} s, wrk -t1 -c25 at each proxy at once, ${values.path}`);
for (let run = 1; run <= runs; run++) {
  const before = both.map((p) => cpuTicks(p.handle.pid));
  const results = await Promise.all(both.map((p) => runWrk(`${p.url}${values.path}`, { connections: 25, seconds })));
  const after = both.map((p) => cpuTicks(p.handle.pid));
  const line = [];
  both.forEach((p, i) => {
    const requests = results[i].requests;
    const us = (cpuSecondsBetween(before[i], after[i]) * 1e6) / requests;
    rows[p.name].push({ us, rps: requests / seconds });
    line.push(`${p.name} ${Math.round(requests / seconds).toLocaleString('en')} req/s ${us.toFixed(1)} µs/req`);
  });
  console.log(`run ${run}: ${line.join(' | ')}`);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const name of ['current', 'reference']) {
  const us = median(rows[name].map((r) => r.us));
  const rps = median(rows[name].map((r) => r.rps));
  console.log(`median ${name}: ${Math.round(rps).toLocaleString('en')} req/s, ${us.toFixed(1)} µs/req`);
}
const diffs = rows.current.map((r, i) => r.us - rows.reference[i].us);
console.log(`median paired difference (current − reference): ${median(diffs).toFixed(1)} µs/req`);
await Promise.all(both.map((p) => stopProcess(p.handle)));
process.exit(0);
