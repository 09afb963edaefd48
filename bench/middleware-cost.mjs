#!/usr/bin/env node
// What basicAuth costs per request with a bcrypt (cost 10) user, with its cache of verified
// credentials (src/middlewares/credential-cache.ts):
//   1. in isolation (no sockets): the middleware's handler on a request whose credentials are
//      cached, in ns per call, and the first, uncached check (one bcrypt comparison) in ms;
//   2. through a real proxy on 127.0.0.1: sequential keep-alive GETs to two routes on the same
//      backend, one with basicAuth and one without, interleaved in rounds; the difference of the
//      medians is the middleware's per-request overhead in µs. Bounded: --requests per route.
//   npm run build && node bench/middleware-cost.mjs [--requests 4000] [--iterations 200000]
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const load = (file) => import(pathToFileURL(path.join(root, 'dist', file)).href);
const { values } = parseArgs({
  options: { requests: { type: 'string', default: '4000' }, iterations: { type: 'string', default: '200000' } },
});
const requests = Number(values.requests);
const iterations = Number(values.iterations);

const { buildMiddleware } = await load('src/middlewares/registry.js');
const { startProxy } = await load('test/helpers/proxy.js');

const hashStart = performance.now();
const hash = bcrypt.hashSync('correct horse', 10);
const hashMs = performance.now() - hashStart;
const authorization = `Basic ${Buffer.from('ann:correct horse').toString('base64')}`;
const config = { basicAuth: { users: [`ann:${hash}`] } };

// 1. In isolation.
const context = { name: 'bench@file', resolve: () => (next) => next };
const passed = { count: 0 };
const handler = buildMiddleware(
  'bench@file',
  config,
  context,
)(() => {
  passed.count++;
});
const res = { destroyed: false, writableEnded: false, headersSent: false };
const ctxFor = () => ({ req: { headers: { authorization } }, res, user: undefined });
// The first request pays bcrypt once.
const firstStart = performance.now();
handler(ctxFor());
while (passed.count === 0) await new Promise((resolve) => setImmediate(resolve));
const firstMs = performance.now() - firstStart;
let best = Number.POSITIVE_INFINITY;
for (let run = 0; run < 5; run++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) handler(ctxFor());
  best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
}
if (passed.count !== 1 + 5 * iterations) throw new Error(`expected every cached call to pass, got ${passed.count}`);

// 2. Through the proxy.
const backend = http.createServer((_req, res) => res.end('ok'));
backend.listen(0, '127.0.0.1');
await once(backend, 'listening');
const backendUrl = `http://127.0.0.1:${backend.address().port}`;
const proxy = await startProxy({
  http: {
    routers: {
      open: { rule: 'PathPrefix(`/open`)', service: 'app' },
      guarded: { rule: 'PathPrefix(`/guarded`)', service: 'app', middlewares: ['auth'] },
    },
    middlewares: { auth: config },
    services: { app: { loadBalancer: { servers: [{ url: backendUrl }] } } },
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(pathname) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get(
      { host: '127.0.0.1', port: proxy.port, path: pathname, agent, headers: { authorization } },
      (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`${pathname}: ${response.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - start) / 1000);
        });
      },
    );
    req.on('error', reject);
  });
}

const samples = { open: [], guarded: [] };
await get('/guarded'); // pays bcrypt, fills the cache
for (let i = 0; i < 200; i++) await get(i % 2 ? '/open' : '/guarded'); // warm-up
const ROUND = 100;
for (let done = 0; done < requests; done += ROUND) {
  for (const route of ['open', 'guarded']) {
    for (let i = 0; i < ROUND; i++) samples[route].push(await get(`/${route}`));
  }
}
agent.destroy();
await proxy.stop();
backend.close();

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const p90 = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.9)];
const open = median(samples.open);
const guarded = median(samples.guarded);
console.log(`basicAuth, one bcrypt user (cost 10); hashing it took ${hashMs.toFixed(0)} ms`);
console.log(`  first request (uncached, one bcrypt check):   ${firstMs.toFixed(1)} ms`);
console.log(`  cached check, handler alone (no sockets):     ${(best / 1000).toFixed(2)} µs per request`);
console.log(`  through the proxy, ${requests} keep-alive GETs per route, sequential:`);
console.log(`    without basicAuth: median ${open.toFixed(0)} µs, p90 ${p90(samples.open).toFixed(0)} µs`);
console.log(`    with basicAuth:    median ${guarded.toFixed(0)} µs, p90 ${p90(samples.guarded).toFixed(0)} µs`);
console.log(`    overhead (difference of medians): ${(guarded - open).toFixed(1)} µs per request`);
