import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { type Backend, startBackend } from '../helpers/backends.js';
import { startCli } from '../helpers/cli.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { isAlive } from '../helpers/up.js';

interface WorkerInfo {
  id: number;
  pid: number | null;
  state: string;
  restarts: number;
  requests: number;
  inFlight: number;
}

/** A `switchyard --workers=2` started for a test, with its API on `traefik`. */
async function startWorkers(dir: string, dynamic: object) {
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify(dynamic));
  const [web, api] = [await freePort(), await freePort()];
  const run = startCli(
    [
      `--entryPoints.web.address=127.0.0.1:${web}`,
      `--entryPoints.traefik.address=127.0.0.1:${api}`,
      '--api.insecure=true',
      '--metrics.prometheus=true',
      `--providers.file.filename=${file}`,
      '--log.format=json',
      '--workers=2',
    ],
    { cwd: dir },
  );
  const apiUrl = `http://127.0.0.1:${api}`;
  const workers = async () => (await sendJson<WorkerInfo[]>(`${apiUrl}/api/workers`)).json;
  await waitFor(async () => (await workers()).every((w) => w.state === 'ready'), {
    timeout: 20_000,
    what: `both workers listening (output: ${run.output.stdout.slice(-500)}${run.output.stderr.slice(-500)})`,
  });
  // Ready means listening; the entry point must also answer before the tests send their counts.
  await waitFor(async () => (await send(`http://127.0.0.1:${web}/`)).status > 0, {
    timeout: 10_000,
    what: `the web entry point to answer on port ${web} (output: ${run.output.stderr.slice(-500)})`,
  });
  return {
    ...run,
    web: `http://127.0.0.1:${web}`,
    api: apiUrl,
    workers,
    async update(next: object) {
      const temp = join(dir, 'dynamic.yml.tmp');
      await writeFile(temp, stringify(next));
      await rename(temp, file);
    },
    /** Waits until the workers' reports add up to `total` requests; returns them. */
    async reported(total: number): Promise<WorkerInfo[]> {
      const list = await waitFor(
        async () => {
          const list = await workers();
          return list.reduce((sum, w) => sum + w.requests, 0) === total ? list : null;
        },
        { timeout: 5000, what: `workers reporting ${total} requests` },
      );
      return list ?? [];
    },
  };
}

/** Sends `count` requests, each on a new connection, `concurrency` at a time; counts answers by backend. */
async function burst(url: string, count: number, concurrency = 4) {
  const byBackend: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      try {
        const response = await send(url, { headers: { connection: 'close' } });
        if (response.status !== 200) failures.push(`status ${response.status}: ${response.text}`);
        const backend = String(response.headers['x-version'] ?? response.headers['x-backend'] ?? '?');
        byBackend[backend] = (byBackend[backend] ?? 0) + 1;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { byBackend, failures };
}

function dynamic(a: Backend, b: Backend, slow: Backend, extra: Record<string, object> = {}) {
  return {
    http: {
      routers: {
        app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] },
        slow: { rule: 'Path(`/slow`)', service: 'slow', entryPoints: ['web'], priority: 100 },
        ...extra,
      },
      services: {
        app: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }] } },
        slow: { loadBalancer: { servers: [{ url: slow.url }] } },
      },
      middlewares: { v2: { headers: { customResponseHeaders: { 'x-version': '2' } } } },
    },
  };
}

describe('switchyard --workers=2', () => {
  let dir: string;
  let a: Backend;
  let b: Backend;
  let slow: Backend;
  let proxy: Awaited<ReturnType<typeof startWorkers>>;
  /** Requests sent to the proxy so far (what the merged statistics must show): startWorkers's probe is one. */
  let sent = 1;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-'));
    a = await startBackend('a');
    b = await startBackend('b');
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('finished'), 600);
    });
    proxy = await startWorkers(dir, dynamic(a, b, slow));
  });

  after(async () => {
    if (proxy.child.exitCode === null && proxy.child.signalCode === null) {
      proxy.child.kill('SIGKILL');
      await proxy.exited;
    }
    await Promise.all([a.close(), b.close(), slow.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('alternates requests across both backends, and both workers serve', async () => {
    const result = await burst(proxy.web, 200);
    sent += 200;
    assert.deepEqual(result.failures, []);
    // Each worker alternates on its own: the two counts differ by at most one per worker.
    assert.ok(Math.abs((result.byBackend.a ?? 0) - (result.byBackend.b ?? 0)) <= 2, JSON.stringify(result.byBackend));
    const workers = await proxy.reported(sent);
    assert.equal(workers.length, 2);
    for (const worker of workers) assert.ok(worker.requests > 0, `worker ${worker.id} served nothing`);
    assert.notEqual(workers[0]?.pid, workers[1]?.pid);
    assert.ok(workers.every((w) => w.pid !== proxy.child.pid));
  });

  it('shows merged numbers equal to the requests sent in /api/stats, /api/http/services and /metrics', async () => {
    await proxy.reported(sent);
    const stats = await waitFor(
      async () => {
        const { json } = await sendJson<{
          services: Record<string, { requests: number }>;
          servers: Record<string, { requests: number; health: string }>;
          entryPoints: Record<string, { requests: number }>;
        }>(`${proxy.api}/api/stats`);
        return json.services['app@file']?.requests === sent ? json : null;
      },
      { what: `/api/stats counting ${sent} requests` },
    );
    assert.ok(stats);
    assert.equal(stats.entryPoints.web?.requests, sent);
    const a1 = stats.servers[a.url]?.requests ?? 0;
    const b1 = stats.servers[b.url]?.requests ?? 0;
    assert.equal(a1 + b1, sent);
    assert.equal(a1, a.hits);
    assert.equal(b1, b.hits);

    const services = await sendJson<Array<{ name: string; serverStatus?: Record<string, string> }>>(
      `${proxy.api}/api/http/services`,
    );
    const app = services.json.find((s) => s.name === 'app@file');
    assert.deepEqual(app?.serverStatus, { [a.url]: 'UP', [b.url]: 'UP' });

    const metrics = (await send(`${proxy.api}/metrics`)).text;
    let counted = 0;
    for (const line of metrics.split('\n')) {
      if (line.startsWith('switchyard_service_requests_total{') && line.includes('service="app@file"')) {
        counted += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    assert.equal(counted, sent);
  });

  it('brings a file change to every worker', async () => {
    await proxy.update(
      dynamic(a, b, slow, {
        v2: { rule: 'PathPrefix(`/v2`)', service: 'app', entryPoints: ['web'], middlewares: ['v2'] },
      }),
    );
    // Done when one batch had the new router answer every request and both workers served in it.
    const deadline = Date.now() + 10_000;
    let last = '';
    let done = false;
    while (!done && Date.now() < deadline) {
      const before = await proxy.reported(sent);
      const result = await burst(`${proxy.web}/v2`, 20);
      sent += 20;
      const after = await proxy.reported(sent);
      const grew = after.every((w) => w.requests > (before.find((x) => x.id === w.id)?.requests ?? 0));
      done = result.failures.length === 0 && result.byBackend['2'] === 20 && grew;
      last = JSON.stringify({ answers: result.byBackend, failures: result.failures, grew });
    }
    assert.ok(done, `the new router did not answer on both workers within 10 s: ${last}`);
  });

  it('takes a server out on every worker when the primary health check fails, and back in when it passes', async () => {
    let healthy = true;
    const h = await startBackend('h', (req, res, backend) => {
      if (req.url === '/health') {
        res.statusCode = healthy ? 200 : 503;
        res.end();
        return;
      }
      res.setHeader('x-backend', backend.name);
      res.end('h');
    });
    const c = await startBackend('c');
    try {
      await proxy.update({
        http: {
          ...dynamic(a, b, slow).http,
          routers: {
            ...dynamic(a, b, slow).http.routers,
            checked: { rule: 'PathPrefix(`/checked`)', service: 'checked', entryPoints: ['web'] },
          },
          services: {
            ...dynamic(a, b, slow).http.services,
            checked: {
              loadBalancer: {
                servers: [{ url: h.url }, { url: c.url }],
                healthCheck: { path: '/health', interval: '100ms', timeout: '500ms' },
              },
            },
          },
        },
      });
      // Both workers agree when a batch has every answer from `expected` and both served in it.
      const settle = async (expected: string[], what: string) => {
        const deadline = Date.now() + 10_000;
        let last = '';
        while (Date.now() < deadline) {
          const before = await proxy.reported(sent);
          const result = await burst(`${proxy.web}/checked`, 20);
          sent += 20;
          const after = await proxy.reported(sent);
          const both = after.every((w) => w.requests > (before.find((x) => x.id === w.id)?.requests ?? 0));
          const answers = Object.keys(result.byBackend).sort();
          last = JSON.stringify({ answers: result.byBackend, failures: result.failures, both });
          if (result.failures.length === 0 && both && JSON.stringify(answers) === JSON.stringify(expected)) return;
        }
        assert.fail(`${what} within 10 s: ${last}`);
      };
      await settle(['c', 'h'], 'both servers did not take traffic on both workers');
      healthy = false;
      await settle(['c'], 'the unhealthy server kept taking traffic');
      healthy = true;
      await settle(['c', 'h'], 'the recovered server did not take traffic again');
    } finally {
      await Promise.all([h.close(), c.close()]);
    }
  });

  it('restarts a killed worker, and traffic keeps flowing meanwhile', async () => {
    const before = await proxy.workers();
    const victim = before[0] as WorkerInfo;
    process.kill(victim.pid as number, 'SIGKILL');
    await waitFor(() => !isAlive(victim.pid as number), { what: 'the killed worker to be gone' });
    const result = await burst(proxy.web, 200);
    assert.deepEqual(result.failures, [], `${result.failures.length} of 200 requests failed after the kill`);
    const replaced = await waitFor(
      async () => {
        const slot = (await proxy.workers()).find((w) => w.id === victim.id);
        return slot?.state === 'ready' && slot.pid !== victim.pid ? slot : null;
      },
      { timeout: 10_000, what: 'a replacement worker' },
    );
    assert.equal(replaced?.restarts, 1);
    assert.match(proxy.output.stdout, /worker exited unexpectedly; restarting it/);
    // The replacement takes connections too (the kernel spreads them; bounded tries).
    let served = false;
    for (let round = 0; round < 20 && !served; round++) {
      const batch = await burst(proxy.web, 20);
      assert.deepEqual(batch.failures, []);
      served = await waitFor(async () => ((await proxy.workers()).find((w) => w.id === victim.id)?.requests ?? 0) > 0, {
        timeout: 1500,
        what: 'a report from the replacement',
      }).catch(() => false);
    }
    assert.ok(served, 'the replacement worker never served a request');
  });

  it('on SIGTERM finishes the request in flight, exits 0 and leaves no worker behind', async () => {
    const pids = (await proxy.workers()).map((w) => w.pid as number);
    const hits = slow.hits;
    const inFlight = send(`${proxy.web}/slow`);
    await waitFor(() => slow.hits > hits, { what: 'the slow request to reach its backend' });
    proxy.child.kill('SIGTERM');
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.equal(response.text, 'finished');
    const { code, signal } = await proxy.exited;
    assert.equal(code, 0, proxy.output.stderr);
    assert.equal(signal, null);
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} outlived the primary`);
  });
});

describe('switchyard --workers=2 whose primary is killed', () => {
  it('leaves no orphan worker: each exits when its channel to the primary closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-kill-'));
    const backend = await startBackend('a');
    let pids: number[] = [];
    try {
      const proxy = await startWorkers(dir, {
        http: {
          routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      });
      pids = (await proxy.workers()).map((w) => w.pid as number);
      assert.equal((await send(proxy.web)).status, 200);
      proxy.child.kill('SIGKILL');
      await proxy.exited;
      await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeout: 5000, what: 'the workers to exit' });
      await assert.rejects(send(proxy.web), 'nothing listens once the workers are gone');
    } finally {
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('switchyard --workers=2 on a taken port', () => {
  it('exits 1 naming the entry point that cannot listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-taken-'));
    try {
      const file = join(dir, 'dynamic.yml');
      await writeFile(file, 'http: {}\n');
      const run = startCli(
        [`--entryPoints.web.address=127.0.0.1:${port}`, `--providers.file.filename=${file}`, '--workers=2'],
        { cwd: dir },
      );
      const deadline = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
      const { code } = await run.exited;
      clearTimeout(deadline);
      assert.equal(code, 1, run.output.stdout + run.output.stderr);
      assert.match(run.output.stderr, /entry point "web" cannot listen .*already in use/);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
