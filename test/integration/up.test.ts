/**
 * `switchyard up` end to end: the repository's own compose file, the real apps as local
 * processes, free ports, real sockets. Scaling is exercised under load and must fail no request.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { describeFigures, type LoadFigures, startSteadyLoad } from '../helpers/steady-load.js';
import {
  ensureAppsBuilt,
  isAlive,
  type RunningUp,
  replicaPids,
  repoRoot,
  startUp,
  waitForValue,
} from '../helpers/up.js';

/** Changes through the API are JSON requests (src/api/request-guard.ts). */
const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' } };

const servedBy = (headers: Record<string, string | string[] | undefined>) => String(headers['x-served-by'] ?? '');

async function scale(up: RunningUp, service: string, replicas: number): Promise<void> {
  const { status } = await sendJson(`${up.stackApi}/services/${service}/scale`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ replicas }),
  });
  assert.equal(status, 202);
}

/** POSTs to the stack API as a same-origin JSON client would (no Origin header). */
function stackPost(up: RunningUp, path: string) {
  return send(`${up.stackApi}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
}

/** One replica as `/api/stack` shows it. */
async function replica(up: RunningUp, id: string) {
  for (const service of (await up.stack()).services) {
    const found = service.replicas.find((r) => r.id === id);
    if (found) return found;
  }
  return undefined;
}

/** Waits until the service lists exactly `count` replicas, all running. */
async function settled(up: RunningUp, service: string, count: number, timeout = 15_000) {
  return waitForValue(
    async () => {
      const svc = (await up.stack()).services.find((s) => s.name === service);
      return svc && svc.replicas.length === count && svc.running === count ? svc : undefined;
    },
    { timeout, interval: 50, what: `${service} to have ${count} running replicas` },
  );
}

describe('switchyard up on the seed compose file', () => {
  let up: RunningUp;

  before(async () => {
    up = await startUp();
  });

  after(async () => {
    await up?.stop();
  });

  test('is ready in under 10 seconds and serves the page on / and the API replicas in alternation', async () => {
    assert.ok(up.readySeconds < 10, `ready in ${up.readySeconds} s`);
    const page = await send(up.web);
    assert.equal(page.status, 200);
    assert.match(page.text, /<html/i);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await send(`${up.web}api/departures?session=1`);
      assert.equal(res.status, 200);
      ids.push(servedBy(res.headers));
    }
    assert.deepEqual(new Set(ids), new Set(['dynamic-server-1', 'dynamic-server-2']));
    // Strict alternation: round robin over two replicas never serves the same one twice in a row.
    for (let i = 1; i < ids.length; i++) assert.notEqual(ids[i], ids[i - 1], ids.join(' '));
  });

  test('lists services and replicas with pid, port, url, state, restarts and uptime on /api/stack', async () => {
    const stack = await up.stack();
    assert.equal(stack.provider, 'process');
    assert.deepEqual(
      stack.services.map((s) => [s.name, s.scale, s.running]),
      [
        ['static-server', 1, 1],
        ['dynamic-server', 2, 2],
      ],
    );
    const dynamic = stack.services[1];
    assert.deepEqual(dynamic?.routes, [{ router: 'api', rule: 'PathPrefix(`/api`)' }]);
    for (const replica of dynamic?.replicas ?? []) {
      assert.equal(replica.state, 'running');
      assert.ok(replica.pid !== null && isAlive(replica.pid));
      assert.equal(replica.url, `http://127.0.0.1:${replica.port}`);
      assert.equal(replica.restarts, 0);
      assert.ok(typeof replica.uptime === 'number' && replica.uptime >= 0);
    }
    const unknown = await send(`${up.stackApi}/services/nope/scale`, { ...JSON_POST, body: '{"replicas":1}' });
    assert.equal(unknown.status, 404);
    const bad = await send(`${up.stackApi}/services/dynamic-server/scale`, { ...JSON_POST, body: '{"replicas":-1}' });
    assert.equal(bad.status, 400);
  });

  test('scales dynamic-server 2 → 4 → 1 under load without a single failed request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const MIN = 2000;
    const MAX = 20_000;
    let sent = 0;
    let failed = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    let scaled = false;
    let afterScaleDown: string[] = [];
    /** Requests sent while replicas were being added, and while they were drained and stopped. */
    const during = { up: 0, down: 0 };
    let phase: 'up' | 'down' | undefined;
    const worker = async () => {
      while (sent < MIN || (!scaled && sent < MAX)) {
        sent++;
        if (phase !== undefined) during[phase]++;
        const done = scaled;
        try {
          // One request in five is slow, so replicas being removed still have requests in flight.
          const slow = sent % 5 === 0 ? '&delay=80' : '';
          const res = await send(`${up.web}api/departures?limit=2${slow}`, { agent });
          const id = servedBy(res.headers);
          if (res.status !== 200 || id === '') throw new Error(`status ${res.status}: ${res.text.slice(0, 120)}`);
          seen.add(id);
          if (done) afterScaleDown.push(id);
        } catch (error) {
          failed++;
          if (failures.length < 5) failures.push((error as Error).message);
        }
      }
    };
    const choreography = async () => {
      await waitFor(() => sent >= 200, { timeout: 10_000, what: 'load to start' });
      phase = 'up';
      await scale(up, 'dynamic-server', 4);
      await settled(up, 'dynamic-server', 4);
      await waitFor(() => seen.has('dynamic-server-3') && seen.has('dynamic-server-4'), {
        timeout: 10_000,
        what: 'the new replicas to serve',
      });
      const before = await up.stack();
      const leaving = before.services[1]?.replicas.filter((r) => r.index > 1).map((r) => r.pid as number) ?? [];
      phase = 'down';
      await scale(up, 'dynamic-server', 1);
      await settled(up, 'dynamic-server', 1, 30_000);
      phase = undefined;
      afterScaleDown = [];
      scaled = true;
      for (const pid of leaving) assert.equal(isAlive(pid), false, `replica pid ${pid} is still alive`);
    };
    const [, ...results] = await Promise.allSettled([choreography(), worker(), worker(), worker(), worker()]);
    agent.destroy();
    console.log(
      `scaling under load: ${sent} requests sent (${during.up} while scaling up, ${during.down} while draining and stopping), ${failed} failed; replicas seen: ${[...seen].sort().join(', ')}`,
    );
    assert.ok(during.down > 0, 'requests were sent while replicas were being removed');
    for (const result of results) assert.equal(result.status, 'fulfilled');
    assert.equal(failed, 0, `failed requests: ${failures.join(' | ')}`);
    assert.ok(sent >= MIN);
    assert.deepEqual(new Set(afterScaleDown), new Set(['dynamic-server-1']));
  });

  test('restarts a replica killed with SIGKILL and puts it back in rotation', async () => {
    await scale(up, 'dynamic-server', 2);
    const svc = await settled(up, 'dynamic-server', 2);
    const victim = svc.replicas.find((r) => r.id === 'dynamic-server-2');
    assert.ok(victim?.pid);
    process.kill(victim.pid, 'SIGKILL');
    const crashed = await waitForValue(
      async () =>
        (await up.stack()).services[1]?.replicas.find((r) => r.id === 'dynamic-server-2' && r.state === 'crashed'),
      { timeout: 5000, interval: 20, what: 'the replica to be seen as crashed' },
    );
    assert.equal(crashed.lastExit?.signal, 'SIGKILL');
    const back = await waitForValue(
      async () =>
        (await up.stack()).services[1]?.replicas.find(
          (r) => r.id === 'dynamic-server-2' && r.state === 'running' && r.restarts === 1,
        ),
      { timeout: 10_000, interval: 50, what: 'the replica to be restarted' },
    );
    assert.notEqual(back.pid, victim.pid);
    assert.notEqual(back.port, victim.port, 'a restarted replica gets a fresh port');
    await waitFor(async () => servedBy((await send(`${up.web}api`)).headers) === 'dynamic-server-2', {
      timeout: 5000,
      what: 'the restarted replica to serve again',
    });
  });

  test('stops and starts one replica through the stack API', async () => {
    const stop = await send(`${up.stackApi}/replicas/dynamic-server-1/stop`, JSON_POST);
    assert.equal(stop.status, 202);
    await waitFor(
      async () =>
        (await up.stack()).services[1]?.replicas.find((r) => r.id === 'dynamic-server-1')?.state === 'stopped',
      { timeout: 15_000, what: 'dynamic-server-1 to stop' },
    );
    for (let i = 0; i < 4; i++) assert.equal(servedBy((await send(`${up.web}api`)).headers), 'dynamic-server-2');
    assert.equal((await send(`${up.stackApi}/replicas/dynamic-server-1/start`, JSON_POST)).status, 202);
    await settled(up, 'dynamic-server', 2);
  });

  test('loses no request of a steady load while a replica is stopped and started, then 3 → 1 scale-down', async () => {
    await scale(up, 'dynamic-server', 3);
    await settled(up, 'dynamic-server', 3);
    const load = startSteadyLoad({
      url: `${up.web}api/departures?limit=2`,
      minRequests: 4000,
      maxRequests: 40_000,
      maxMs: 90_000,
    });
    let figures: LoadFigures;
    try {
      await load.sentAtLeast(500, 10_000);
      // Restart: one replica drained and stopped, then started again and back in rotation.
      assert.equal((await stackPost(up, 'replicas/dynamic-server-2/stop')).status, 202);
      await waitFor(async () => (await replica(up, 'dynamic-server-2'))?.state === 'stopped', {
        timeout: 15_000,
        what: 'dynamic-server-2 to stop',
      });
      const servedBefore = load.figures.servedBy.get('dynamic-server-2') ?? 0;
      assert.equal((await stackPost(up, 'replicas/dynamic-server-2/start')).status, 202);
      await settled(up, 'dynamic-server', 3);
      await waitFor(() => (load.figures.servedBy.get('dynamic-server-2') ?? 0) > servedBefore, {
        timeout: 10_000,
        what: 'the restarted replica to serve again',
      });
      // Scale-down: two replicas drained and stopped at once.
      await scale(up, 'dynamic-server', 1);
      await settled(up, 'dynamic-server', 1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      figures = await load.finish();
    }
    console.log(`restart and scale-down under load: ${describeFigures(figures)}`);
    const problems = `${describeFigures(figures)}: ${figures.problems.join('; ')}`;
    assert.equal(figures.failed, 0, problems);
    assert.equal(figures.timedOut, 0, problems);
    assert.ok(figures.sent >= 4000, problems);
    // Back to two replicas for the next test.
    await scale(up, 'dynamic-server', 2);
    await settled(up, 'dynamic-server', 2);
  });

  test('SIGTERM drains, stops every replica and exits 0 with no child process left', async () => {
    const pids = replicaPids(await up.stack());
    assert.equal(pids.length, 3);
    const { code } = await up.stop();
    assert.equal(code, 0, up.output.stderr);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} survived`);
  });
});

describe('switchyard up when things go wrong', () => {
  test('no replica outlives up when up itself is killed with SIGKILL', async () => {
    const up = await startUp(['--scale', 'dynamic-server=3']);
    const pids = replicaPids(await up.stack());
    assert.equal(pids.length, 4);
    up.child.kill('SIGKILL');
    await up.exited;
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      timeout: 10_000,
      interval: 50,
      what: `replicas ${pids.join(', ')} to die with their parent`,
    });
  });

  test('a port already in use is named in a clear error and no replica is started', async () => {
    ensureAppsBuilt();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = startCli(['up', '--port-web', String(port), '--port-dashboard', '0'], {
        cwd: repoRoot(),
        env: { NO_COLOR: '1' },
      });
      const { code } = await run.exited;
      assert.equal(code, 1);
      assert.match(run.output.stderr, new RegExp(`port ${port} is already in use`));
      assert.match(run.output.stderr, /--port-web/);
      assert.doesNotMatch(run.output.stdout, /dynamic-server-1\s+\|/);
    } finally {
      blocker.close();
    }
  });
});
