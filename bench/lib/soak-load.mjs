#!/usr/bin/env node
// The soak's steady load, in its own process so that its CPU and event loop stay out of the
// soak's measurements:   node bench/lib/soak-load.mjs BASE CONNECTIONS RATE SECONDS STATS_FILE
// Paced keep-alive GETs (RATE per second over at most CONNECTIONS sockets) rather than wrk: wrk
// cannot pace, and flat-out load on 2 shared cores starves the proxy and turns every other
// figure of the soak (ping latency, CPU %) into a measure of that starvation.
// Every request should succeed: 9 in 10 are `GET /api` (JSON naming a backend), 1 in 10
// `GET /big` (65,536 bytes). Cumulative counters go to STATS_FILE every second (temp + rename).
import fs from 'node:fs';
import http from 'node:http';
import { BIG_SIZE } from './payload.mjs';

const [base, connections, rate, seconds, statsFile] = process.argv.slice(2);
const maxInFlight = Number(connections);
const perTick = Number(rate) / 100; // one tick every 10 ms
const endAt = Date.now() + Number(seconds) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
const stats = { ok: 0, failed: 0, skipped: 0, reasons: {}, lastFailure: null };
let inFlight = 0;
let sent = 0;

function fail(path, reason) {
  stats.failed++;
  stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
  stats.lastFailure = { at: new Date().toISOString(), path, reason };
}

function check(path, status, body) {
  if (status !== 200) return `HTTP ${status}`;
  if (path === '/big') return body.length === BIG_SIZE ? null : `short body ${body.length}`;
  try {
    return JSON.parse(body.toString('utf8')).id ? null : 'no backend id';
  } catch {
    return 'body not JSON';
  }
}

function one() {
  const path = sent++ % 10 === 9 ? '/big' : '/api';
  inFlight++;
  let settled = false;
  const done = (reason) => {
    if (settled) return;
    settled = true;
    inFlight--;
    if (reason) fail(path, reason);
    else stats.ok++;
  };
  const req = http.get(`${base}${path}`, { agent }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => done(check(path, res.statusCode, Buffer.concat(chunks))));
    res.on('error', (e) => done(e.code ?? 'response error'));
  });
  req.setTimeout(10_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT 10s' })));
  req.on('error', (e) => done(e.code ?? e.message));
}

function save() {
  fs.writeFileSync(`${statsFile}.tmp`, JSON.stringify({ ...stats, inFlight }));
  fs.renameSync(`${statsFile}.tmp`, statsFile);
}

let credit = 0;
const ticker = setInterval(() => {
  if (Date.now() >= endAt) {
    // Time is up: leave once the requests in flight have settled (each has a 10 s timeout).
    if (inFlight === 0) finish();
    return;
  }
  credit += perTick;
  while (credit >= 1) {
    credit--;
    // Full: the proxy is slower than the pace. Not a failure, but counted and shown.
    if (inFlight >= maxInFlight) stats.skipped++;
    else one();
  }
}, 10);
const saver = setInterval(save, 1000);
function finish() {
  clearInterval(ticker);
  clearInterval(saver);
  save();
  agent.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => {
  save();
  process.exit(0);
});
