#!/usr/bin/env node
// Runs the compiled test files of the named suites with Node's built-in test runner.
//   unit         dist/src/**/*.test.js and dist/apps/**/*.test.js (next to the code), and the
//                compatibility corpus dist/test/compat (configuration only, no socket)
//   integration  dist/test/integration/**/*.test.js (real sockets on 127.0.0.1)
//   hostile      dist/test/hostile/**/*.test.js (smuggling, broken upstreams, timeouts, bounded fuzzing)
//   fuzz         dist/test/hostile/*-fuzz.test.js only (`npm run fuzz` runs them long with FUZZ_RUNS)
//   docker       dist/test/e2e/docker/**/*.test.js (a real Docker engine)
//   browser      dist/test/e2e/browser/**/*.test.js (a real headless Chromium)
//   kv           dist/test/e2e/kv/**/*.test.js (real redis-server and etcd, started by the tests)
//   swarm        dist/test/e2e/swarm/**/*.test.js (a real single-node swarm: scripts/docker/ensure-swarm.sh)
//   tls          dist/test/e2e/tls/**/*.test.js (curl and the openssl CLI against HTTPS entry points)

//   tcp          dist/test/e2e/tcp/**/*.test.js (Debian's dig, redis-server/redis-cli, haproxy)
//   acme         dist/test/e2e/acme/**/*.test.js (a real ACME server: Debian's pebble and pebble-challtestsrv; redis-server and etcd for the fleet test)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SUITES = {
  unit: ['dist/src', 'dist/apps', 'dist/test/compat'],
  integration: ['dist/test/integration'],
  hostile: ['dist/test/hostile'],
  fuzz: ['dist/test/hostile/reader-fuzz.test.js', 'dist/test/hostile/routing-fuzz.test.js'],
  docker: ['dist/test/e2e/docker'],
  browser: ['dist/test/e2e/browser'],
  kv: ['dist/test/e2e/kv'],
  swarm: ['dist/test/e2e/swarm'],
  tls: ['dist/test/e2e/tls'],
  // Needs curl (with HTTP/2) and nghttp2-client (nghttp, h2load).
  http2: ['dist/test/e2e/http2'],

  tcp: ['dist/test/e2e/tcp'],
  acme: ['dist/test/e2e/acme'],
};

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const suites = process.argv.slice(2);
const files = [];
for (const suite of suites) {
  if (!SUITES[suite]) {
    console.error(`unknown suite ${suite}; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  for (const dir of SUITES[suite]) {
    if (dir.endsWith('.test.js')) files.push(dir);
    else collect(dir, files);
  }
}
if (files.length === 0) {
  console.error(`no test files found for ${suites.join(', ')} (did the build run?)`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
