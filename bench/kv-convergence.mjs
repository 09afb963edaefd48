#!/usr/bin/env node
// Convergence time of the KV providers: how long after a store write both Switchyard instances
// serve the change. Starts a real redis-server (keyspace notifications on) and etcd on free
// ports, two instances reading each, and makes N changes per store (default 50): each moves the
// service's only server between two backends; the clock starts when the store acknowledged the
// write and stops when both instances answer from the new backend (polled every 2 ms with
// keep-alive). Prints p50/p90/p99/max per store. Run after `npm run build`:
//   node bench/kv-convergence.mjs [--changes 50]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { loadStaticConfiguration } from '../dist/src/config/static-loader.js';
import { assembleSwitchyard } from '../dist/src/server/create.js';
import { freePort } from './lib/procs.mjs';

const argIndex = process.argv.indexOf('--changes');
const CHANGES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 50;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

function backend(name) {
  const server = createServer((_req, res) => res.end(name));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })),
  );
}

async function instance(store, endpoint) {
  const { config } = await loadStaticConfiguration({
    args: ['--entryPoints.web.address=127.0.0.1:0', `--providers.${store}.endpoints=${endpoint}`],
    env: {},
    cwd: process.cwd(),
    searchDirs: [],
  });
  const { app } = await assembleSwitchyard(config, silent, {});
  await app.start();
  return { app, port: app.entryPoints.get('web').port };
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function answer(port) {
  return new Promise((resolve) => {
    const r = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : `status ${res.statusCode}`));
    });
    r.on('error', (e) => resolve(e.message));
    r.end();
  });
}

async function measure(store, endpoint, write, backends) {
  const instances = [await instance(store, endpoint), await instance(store, endpoint)];
  const times = [];
  try {
    await write('traefik/http/routers/app/rule', 'PathPrefix(`/`)');
    await write('traefik/http/routers/app/service', 'app');
    for (let i = 0; i <= CHANGES; i++) {
      const target = backends[i % 2];
      const started = performance.now();
      await write('traefik/http/services/app/loadbalancer/servers/0/url', target.url);
      const acknowledged = performance.now();
      const deadline = started + 10_000;
      const pending = new Set(instances.map((x) => x.port));
      while (pending.size > 0) {
        for (const port of [...pending]) if ((await answer(port)) === target.name) pending.delete(port);
        if (performance.now() > deadline) throw new Error(`${store}: change ${i} not seen within 10 s`);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 2));
      }
      if (i > 0) times.push(performance.now() - acknowledged); // change 0 creates the service
    }
  } finally {
    for (const x of instances) await x.app.stop(200);
  }
  return times;
}

function figures(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `n=${sorted.length}  p50 ${q(0.5).toFixed(1)} ms  p90 ${q(0.9).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

const dirs = [];
const children = [];
try {
  const a = { ...(await backend('a')), name: 'a' };
  const b = { ...(await backend('b')), name: 'b' };

  const redisPort = await freePort();
  const redisDir = mkdtempSync(join(tmpdir(), 'kv-bench-redis-'));
  dirs.push(redisDir);
  children.push(
    spawn(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        redisDir,
        '--notify-keyspace-events',
        'KA',
      ],
      { stdio: 'ignore' },
    ),
  );
  const etcdPort = await freePort();
  const peerPort = await freePort();
  const etcdDir = mkdtempSync(join(tmpdir(), 'kv-bench-etcd-'));
  dirs.push(etcdDir);
  children.push(
    spawn(
      'etcd',
      [
        '--name',
        'bench',
        '--data-dir',
        join(etcdDir, 'data'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-cluster',
        `bench=http://127.0.0.1:${peerPort}`,
        '--logger',
        'zap',
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' },
    ),
  );
  await new Promise((r) => setTimeout(r, 300));

  const redis = new Redis({ host: '127.0.0.1', port: redisPort });
  const redisTimes = await measure('redis', `127.0.0.1:${redisPort}`, (k, v) => redis.set(k, v), [a, b]);
  redis.disconnect();
  console.log(`redis (keyspace notifications)  ${figures(redisTimes)}`);

  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${etcdPort}` });
  const etcdTimes = await measure('etcd', `127.0.0.1:${etcdPort}`, (k, v) => etcd.put(k).value(v), [a, b]);
  etcd.close();
  console.log(`etcd (watch)                    ${figures(etcdTimes)}`);
  a.server.close();
  b.server.close();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  agent.destroy();
}
