/**
 * The seed's scenario on a real Docker engine: `docker-compose up -d --build --scale dynamic-server=2`
 * with the repository's compose file, then everything is checked from the host through the
 * published ports on 127.0.0.1 only.
 *
 * Prerequisites come from scripts/docker/ensure-engine.sh and make-base-image.sh (run here too;
 * both are idempotent and quick once done). Without an engine the suite is skipped, except under
 * CI=true where that is a failure. Stopping and restarting the daemon disturbs every other user of
 * it, so that step runs only under CI=true or SWITCHYARD_E2E_RESTART_DAEMON=1, and only when the
 * daemon was started by ensure-engine.sh (its pid file names a live dockerd).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { send, waitFor } from '../../helpers/http.js';
import { freePort } from '../../helpers/ports.js';
import { describeFigures, type LoadFigures, startSteadyLoad } from '../../helpers/steady-load.js';
import { repoRoot, waitForValue } from '../../helpers/up.js';

const ROOT = repoRoot();
const STATE_DIR = process.env.SWITCHYARD_DOCKERD_STATE ?? '/tmp/switchyard-dockerd';
const CA_SOURCE = '/etc/ssl/certs/ca-certificates.crt';
const CA_IN_CONTEXT = join(ROOT, '.ca-bundle.crt');
const IN_CI = process.env.CI === 'true';

/** Runs a script synchronously at load time (prerequisites), returning its output or an error text. */
function prerequisite(script: string): { ok: boolean; out: string; stdout: string } {
  const result = spawnSync('bash', [join(ROOT, 'scripts/docker', script)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { ok: result.status === 0, out, stdout: (result.stdout ?? '').trim() };
}

const engine = prerequisite('ensure-engine.sh');
const base = engine.ok ? prerequisite('make-base-image.sh') : { ok: false, out: '', stdout: '' };
// make-base-image.sh prints the tag as the last line of its standard output.
const nodeImage = process.env.NODE_IMAGE ?? base.stdout.split('\n').at(-1) ?? '';
let skip: string | false = false;
if (!engine.ok) skip = `no Docker engine answers (ensure-engine.sh: ${engine.out.split('\n').at(-1)})`;
else if (!base.ok) skip = `no base image (make-base-image.sh: ${base.out.split('\n').at(-1)})`;
if (skip && IN_CI) throw new Error(`Docker suite cannot run under CI: ${skip}`);

/** Result of one command. */
interface Ran {
  code: number | null;
  out: string;
  ms: number;
}

/** Runs a command with a deadline; keeps the last 64 KiB of its combined output. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString('utf8')).slice(-65_536);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, out: `${out}\n${error.message}`, ms: Date.now() - started });
    });
  });
}

/** The fields of a router in `/api/http/routers` that these tests read. */
interface RouterView {
  name?: unknown;
  provider?: unknown;
  status?: unknown;
  rule?: unknown;
  service?: unknown;
}

describe('the seed scenario with docker-compose on a real engine', { skip }, () => {
  const project = `sye2e${process.pid}${Date.now().toString(36)}`;
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-compose-'));
  const overrideFile = join(workDir, 'override.yml');
  let webPort = 0;
  let dashboardPort = 0;
  let env: NodeJS.ProcessEnv = {};
  let placedCaBundle = false;
  let up = false;
  let failures = 0;
  const web = (path: string) => `http://127.0.0.1:${webPort}${path}`;
  const dashboard = (path: string) => `http://127.0.0.1:${dashboardPort}${path}`;

  const compose = (args: string[], timeoutMs = 120_000, files: string[] = []) =>
    run('docker-compose', ['-p', project, '-f', join(ROOT, 'docker-compose.yml'), ...files, ...args], env, timeoutMs);

  /** Container ids of one compose service. */
  async function containers(service: string): Promise<string[]> {
    const ran = await compose(['ps', '-q', service], 60_000);
    return ran.out.split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line.trim()));
  }

  /** The X-Served-By of `count` requests to /api on fresh connections. */
  async function servedBy(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await send(web('/api'));
      assert.equal(res.status, 200, `GET /api answered ${res.status}: ${res.text.slice(0, 200)}`);
      ids.push(String(res.headers['x-served-by']));
    }
    return ids;
  }

  /** A test step: counts failures (for the logs printed at the end) and refuses to run after a failed `up`. */
  function step(name: string, timeout: number, fn: (t: TestContext) => Promise<void>, needsUp = true) {
    it(name, { timeout }, async (t) => {
      if (needsUp && !up) assert.fail('docker-compose up did not succeed');
      try {
        await fn(t);
      } catch (error) {
        failures++;
        throw error;
      }
    });
  }

  before(async () => {
    webPort = await freePort();
    dashboardPort = await freePort();
    env = {
      ...process.env,
      NODE_IMAGE: nodeImage,
      SWITCHYARD_WEB_PORT: String(webPort),
      SWITCHYARD_DASHBOARD_PORT: String(dashboardPort),
      // Compose's own (classic) builder: no BuildKit or buildx needed.
      COMPOSE_DOCKER_CLI_BUILD: '0',
      DOCKER_BUILDKIT: '0',
    };
    if (!existsSync(CA_IN_CONTEXT) && existsSync(CA_SOURCE)) {
      copyFileSync(CA_SOURCE, CA_IN_CONTEXT);
      placedCaBundle = true;
    }
  });

  after(async () => {
    if (failures > 0) {
      const logs = await compose(['logs', '--no-color', '--tail', '60'], 60_000);
      console.error(`--- docker-compose logs (project ${project}) ---\n${logs.out}`);
    }
    const down = await compose(
      ['down', '-v', '--remove-orphans', '-t', '5'],
      180_000,
      [overrideFile].filter(existsSync).flatMap((f) => ['-f', f]),
    );
    if (down.code !== 0) console.error(`docker-compose down failed:\n${down.out}`);
    if (placedCaBundle) rmSync(CA_IN_CONTEXT, { force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  step(
    'builds the three images and starts the proxy, the site and two API replicas',
    1_200_000,
    async () => {
      const ran = await compose(['up', '-d', '--build', '--scale', 'dynamic-server=2'], 1_150_000);
      assert.equal(ran.code, 0, `docker-compose up failed:\n${ran.out}`);
      console.log(`# docker-compose up --build took ${(ran.ms / 1000).toFixed(1)} s`);
      up = true;
      assert.equal((await containers('dynamic-server')).length, 2);
      assert.equal((await containers('static-server')).length, 1);
      assert.equal((await containers('reverse-proxy')).length, 1);
    },
    false,
  );

  step('runs the apps as a non-root user and reports them healthy', 120_000, async () => {
    const ids = [...(await containers('dynamic-server')), ...(await containers('static-server'))];
    await waitFor(
      async () => {
        const ran = await run(
          'docker',
          ['inspect', '--format', '{{.Config.User}} {{.State.Health.Status}}', ...ids],
          env,
          30_000,
        );
        const lines = ran.out.trim().split('\n');
        return lines.length === ids.length && lines.every((line) => line === 'node healthy');
      },
      { timeout: 90_000, interval: 1000, what: 'the app containers to be healthy' },
    );
  });

  step('answers on the dashboard port with its version', 60_000, async () => {
    const res = await waitForValue(
      async () => {
        const r = await send(dashboard('/api/version'));
        return r.status === 200 ? r : undefined;
      },
      { timeout: 45_000, interval: 500, what: 'GET /api/version on the dashboard port' },
    );
    assert.ok(JSON.parse(res.text).Version);
  });

  step('serves the static page at /', 60_000, async () => {
    const res = await waitForValue(
      async () => {
        const r = await send(web('/'));
        return r.status === 200 ? r : undefined;
      },
      { timeout: 45_000, interval: 500, what: 'GET / through the proxy' },
    );
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.text, /<html/i);
  });

  step('alternates /api between the two replicas', 60_000, async () => {
    await waitFor(async () => new Set(await servedBy(4)).size === 2, {
      timeout: 45_000,
      interval: 500,
      what: 'two distinct X-Served-By values on /api',
    });
    const ids = await servedBy(8);
    for (let i = 1; i < ids.length; i++) assert.notEqual(ids[i], ids[i - 1], `not alternating: ${ids.join(' ')}`);
  });

  step('lists its routers on the dashboard port', 60_000, async () => {
    const routers = await waitForValue(
      async () => {
        const r = await send(dashboard('/api/http/routers'));
        if (r.status !== 200) return undefined;
        const json = JSON.parse(r.text) as unknown;
        const list = (Array.isArray(json) ? json : Object.values(json as object)) as RouterView[];
        const found = list.map((router) => String(router.name));
        return found.some((n) => n.startsWith('api@')) && found.some((n) => n.startsWith('static@')) ? list : undefined;
      },
      { timeout: 30_000, interval: 500, what: 'routers api@… and static@… in /api/http/routers' },
    );
    // Exactly the two routers of the compose labels come from Docker, enabled, with their rules and services.
    const fromDocker = routers
      .filter((router) => router.provider === 'docker')
      .map(({ name, status, rule, service }) => ({ name, status, rule, service }))
      .sort((x, y) => String(x.name).localeCompare(String(y.name)));
    assert.deepEqual(fromDocker, [
      { name: 'api@docker', status: 'enabled', rule: 'PathPrefix(`/api`)', service: 'api' },
      { name: 'static@docker', status: 'enabled', rule: 'PathPrefix(`/`)', service: 'static' },
    ]);
  });

  step('adds a third replica when the service is scaled to 3', 180_000, async () => {
    const ran = await compose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'dynamic-server=3'], 150_000);
    assert.equal(ran.code, 0, ran.out);
    await waitFor(async () => new Set(await servedBy(6)).size === 3, {
      timeout: 30_000,
      interval: 250,
      what: 'three distinct X-Served-By values on /api',
    });
  });

  /**
   * Runs `change` under a steady loop of GETs on /api: about 1,000 requests before it, at least
   * `minRequests` in all and 500 more after it; none may fail or go unanswered for 5 s.
   */
  async function underLoad(what: string, minRequests: number, change: () => Promise<void>): Promise<void> {
    const load = startSteadyLoad({ url: web('/api'), minRequests, maxRequests: 30_000, maxMs: 180_000 });
    let figures: LoadFigures;
    try {
      await load.sentAtLeast(1000, 60_000);
      await change();
      // The routing after the change must serve too, not only the instant of the change.
      await load.sentAtLeast(load.figures.sent + 500, 60_000);
    } finally {
      figures = await load.finish();
    }
    const by = [...figures.servedBy].map(([id, n]) => `${id.slice(0, 12)}×${n}`).join(' ');
    console.log(`# ${what}: ${describeFigures(figures)} (served by ${by})`);
    const problems = `${describeFigures(figures)}: ${figures.problems.join('; ')}`;
    assert.equal(figures.failed, 0, problems);
    assert.equal(figures.timedOut, 0, problems);
  }

  step('fails no request while one replica is stopped and started again under load', 300_000, async () => {
    const ids = await containers('dynamic-server');
    assert.equal(ids.length, 3);
    const victim = ids[ids.length - 1] as string;
    await underLoad('stop/start of one replica', 3000, async () => {
      const stop = await run('docker', ['stop', '-t', '10', victim], env, 60_000);
      assert.equal(stop.code, 0, stop.out);
      const start = await run('docker', ['start', victim], env, 60_000);
      assert.equal(start.code, 0, start.out);
      // Back in rotation once its health check passes (the X-Served-By of a container starts with its id).
      await waitFor(async () => (await servedBy(6)).some((id) => id.startsWith(victim.slice(0, 12))), {
        timeout: 60_000,
        interval: 500,
        what: 'the restarted replica to serve again',
      });
    });
  });

  step('fails no request while the service is scaled down from 3 to 1 under load', 300_000, async () => {
    let ran: Ran | undefined;
    await underLoad('scale-down 3 → 1', 3000, async () => {
      ran = await compose(['up', '-d', '--no-build', '--no-recreate', '--scale', 'dynamic-server=1'], 150_000);
    });
    assert.equal(ran?.code, 0, ran?.out);
    assert.equal(new Set(await servedBy(4)).size, 1);
  });

  step('picks up a label change when the static server is recreated', 240_000, async () => {
    // A second router to the static site, for one host and longer (so higher priority) than `api`.
    writeFileSync(
      overrideFile,
      [
        'version: "3.8"',
        'services:',
        '  static-server:',
        '    labels:',
        '      - switchyard.http.routers.static-alt.rule=Host(`alt.switchyard.test`) && PathPrefix(`/api`)',
        '      - switchyard.http.routers.static-alt.service=static',
        '',
      ].join('\n'),
    );
    const ran = await compose(['up', '-d', '--no-build', '--no-deps', 'static-server'], 150_000, ['-f', overrideFile]);
    assert.equal(ran.code, 0, ran.out);
    const [staticId] = await containers('static-server');
    assert.ok(staticId, 'the recreated static server is running');
    const res = await waitForValue(
      async () => {
        const r = await send(web('/api'), { headers: { host: 'alt.switchyard.test' } });
        return String(r.headers['x-served-by']).startsWith(staticId.slice(0, 12)) ? r : undefined;
      },
      { timeout: 60_000, interval: 500, what: 'Host alt.switchyard.test /api to reach the static server' },
    );
    // The static site has no /api: its own 404 page (HTML), not the API's JSON.
    assert.equal(res.status, 404, `the static server answered ${res.status}: ${res.text.slice(0, 200)}`);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const plain = await send(web('/api'));
    assert.ok(plain.headers['content-type']?.includes('json'), 'other hosts still reach the API');
    const router = await send(dashboard('/api/http/routers/static-alt@docker'));
    assert.equal(router.status, 200, `GET /api/http/routers/static-alt@docker: ${router.text.slice(0, 200)}`);
  });

  const daemonPid = () => {
    try {
      const pid = Number(readFileSync(join(STATE_DIR, 'dockerd.pid'), 'utf8').trim());
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith('dockerd') ? pid : 0;
    } catch {
      return 0;
    }
  };

  // Last on purpose: the proxy's bind mount of /var/run/docker.sock keeps the socket file of the
  // daemon it started with, so after a daemon restart its Docker provider cannot reconnect until the
  // container restarts (Traefik behaves the same); it keeps serving its last configuration.
  step('keeps serving while the Docker daemon stops and starts again', 300_000, async (t) => {
    const pid = daemonPid();
    const allowed = IN_CI || process.env.SWITCHYARD_E2E_RESTART_DAEMON === '1';
    // A node left in a swarm by an earlier run gets a daemon without live-restore (swarm mode
    // refuses it, ensure-engine.sh): its containers would stop with it, nothing to test then.
    const liveRestore = (await run('docker', ['info', '--format', '{{.LiveRestoreEnabled}}'], env, 30_000)).out.trim();
    if (!pid || !allowed || liveRestore !== 'true') {
      t.skip(
        !pid
          ? 'this daemon was not started by scripts/docker/ensure-engine.sh'
          : !allowed
            ? 'set CI=true or SWITCHYARD_E2E_RESTART_DAEMON=1 (a restart disturbs every other user of the daemon)'
            : 'the daemon runs without --live-restore (this node is in a swarm): its containers stop with it',
      );
      return;
    }
    // Published ports go through docker-proxy, a child of the daemon: while it is away, reach the
    // proxy on its own address on the project's bridge network instead.
    const [proxyId] = await containers('reverse-proxy');
    assert.ok(proxyId);
    const inspect = await run(
      'docker',
      ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', proxyId],
      env,
      30_000,
    );
    const proxyIp = inspect.out.trim().split(/\s+/)[0];
    assert.match(proxyIp ?? '', /^\d+\.\d+\.\d+\.\d+$/, `proxy address: ${inspect.out}`);
    process.kill(pid, 'SIGTERM');
    try {
      await waitFor(() => !existsSync(`/proc/${pid}`), { timeout: 60_000, interval: 250, what: 'dockerd to exit' });
      // live-restore (ensure-engine.sh) keeps the containers running while the daemon is away, and
      // the proxy keeps its last configuration when it loses the Docker socket.
      for (const path of ['/', '/api']) {
        const during = await send(`http://${proxyIp}:8000${path}`);
        assert.equal(during.status, 200, `GET ${path} on the proxy while the daemon is down`);
      }
    } finally {
      // Whatever happened, the daemon comes back (the rest of the suite and its teardown need it).
      const restarted = await run('bash', [join(ROOT, 'scripts/docker/ensure-engine.sh')], process.env, 180_000);
      assert.equal(restarted.code, 0, restarted.out);
    }
    await waitFor(async () => (await send(web('/'))).status === 200 && new Set(await servedBy(2)).size === 1, {
      timeout: 60_000,
      interval: 500,
      what: 'the proxy to serve / and /api after the daemon restart',
    });
  });
});
