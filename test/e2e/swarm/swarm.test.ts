/**
 * The Swarm provider on a real single-node swarm (`scripts/docker/ensure-swarm.sh` makes one;
 * `.ci/run` runs it before this suite). The test deploys a stack the way a user does
 * (`docker stack deploy`): Switchyard itself as a service on the stack's overlay network (task IPs
 * are reachable only from there), reading the Docker socket, published in host mode; and an API
 * service of two busybox httpd tasks answering their hostname, with Traefik labels under
 * `deploy.labels`. Then, through the published port: alternation across tasks,
 * `docker service scale` up and down under load, a task's container killed under load, and a
 * label changed with `docker service update --label-add`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../helpers/busybox-image.js';
import { send, waitFor } from '../../helpers/http.js';
import { freePort } from '../../helpers/ports.js';
import { startSteadyLoad } from '../../helpers/steady-load.js';

const run = promisify(execFile);
const BASE_IMAGE = process.env.SWITCHYARD_BASE_IMAGE ?? 'switchyard/node-base:local';

async function swarmSkipReason(): Promise<string | false> {
  try {
    const { stdout } = await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { timeout: 10_000 });
    if (stdout.trim() !== 'active')
      return 'the Docker engine is not in swarm mode (run scripts/docker/ensure-swarm.sh)';
    await run('docker', ['image', 'inspect', BASE_IMAGE], { timeout: 10_000 });
    return false;
  } catch (error) {
    return `no swarm engine or no ${BASE_IMAGE} image here (scripts/docker/ensure-swarm.sh, make-base-image.sh): ${(error as Error).message.split('\n')[0]}`;
  }
}

const skip = await swarmSkipReason();

function stackFile(stack: string, port: number): string {
  const repo = process.cwd();
  return `version: "3.8"
services:
  proxy:
    image: ${BASE_IMAGE}
    user: "0"
    command:
      - node
      - /app/dist/src/cli/main.js
      - --entryPoints.web.address=:80
      - --providers.swarm.network=${stack}_net
      - --providers.swarm.exposedByDefault=false
      - --log.level=DEBUG
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - ${repo}:/app:ro
    ports:
      - target: 80
        published: ${port}
        mode: host
    networks: [net]
    deploy:
      placement:
        constraints: [node.role == manager]
  api:
    image: ${BUSYBOX_IMAGE}
    command: ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /www && /bin/busybox hostname > /www/index.html && exec /bin/busybox httpd -f -p 3000 -h /www"]
    networks: [net]
    deploy:
      replicas: 2
      labels:
        - traefik.enable=true
        - traefik.http.routers.api.rule=PathPrefix(\`/\`)
        - traefik.http.services.api.loadbalancer.server.port=3000
networks:
  net:
    driver: overlay
`;
}

describe('the Swarm provider on a real swarm', { skip, timeout: 300_000 }, () => {
  const stack = `sy${randomBytes(3).toString('hex')}`;
  const api = `${stack}_api`;
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-swarm-'));
  let url = '';

  /** The hostnames (task containers) answering `n` requests. */
  async function hostnames(n: number, path = '/'): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const response = await send(`${url}${path}`);
      seen.add(response.status === 200 ? response.text.trim() : `status ${response.status}`);
    }
    return seen;
  }

  /** Running task containers of the API service on this node. */
  async function apiContainers(): Promise<string[]> {
    const list = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${api}`] } });
    return list.map((c) => c.Id);
  }

  before(async () => {
    await ensureBusyboxImage(docker);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const file = join(dir, 'stack.yml');
    writeFileSync(file, stackFile(stack, port));
    await run('docker', ['stack', 'deploy', '-c', file, stack], { timeout: 60_000 });
    await waitFor(async () => (await hostnames(8)).size === 2, {
      timeout: 120_000,
      interval: 500,
      what: 'the proxy answering from both API tasks',
    });
  });

  after(async () => {
    await run('docker', ['stack', 'rm', stack], { timeout: 60_000 }).catch(() => undefined);
    // The overlay network goes once its tasks are gone; wait so the next run starts clean.
    await waitFor(async () => (await docker.listNetworks({ filters: { name: [`${stack}_net`] } })).length === 0, {
      timeout: 60_000,
      interval: 500,
      what: 'the stack network removed',
    }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('requests alternate across the tasks of the service', async () => {
    const seen = await hostnames(10);
    assert.equal(seen.size, 2, `answers from ${[...seen].join(', ')}`);
  });

  test('docker service scale up and down under load', async (t) => {
    const load = startSteadyLoad({ url: `${url}/`, minRequests: 300, maxRequests: 50_000, maxMs: 120_000 });
    await load.sentAtLeast(50, 10_000);
    await run('docker', ['service', 'scale', '-d', `${api}=3`], { timeout: 30_000 });
    await waitFor(async () => (await hostnames(12)).size === 3, {
      timeout: 60_000,
      interval: 250,
      what: '3 tasks answering',
    });
    await run('docker', ['service', 'scale', '-d', `${api}=1`], { timeout: 30_000 });
    await waitFor(async () => (await hostnames(8)).size === 1, {
      timeout: 60_000,
      interval: 250,
      what: '1 task answering',
    });
    const figures = await load.finish();
    t.diagnostic(
      `scale 2→3→1 under load: ${figures.sent} requests, ${figures.failed} failed, ${figures.timedOut} timed out`,
    );
    assert.equal(figures.failed + figures.timedOut, 0, `no failed request: ${figures.problems.join('; ')}`);
    await run('docker', ['service', 'scale', '-d', `${api}=2`], { timeout: 30_000 });
    await waitFor(async () => (await hostnames(8)).size === 2, {
      timeout: 60_000,
      interval: 250,
      what: '2 tasks again',
    });
  });

  test('a task killed under load is replaced, and requests keep succeeding', async (t) => {
    const before = await hostnames(8);
    const [victim] = await apiContainers();
    assert.ok(victim, 'a task container runs on this node');
    const load = startSteadyLoad({ url: `${url}/`, minRequests: 200, maxRequests: 50_000, maxMs: 120_000 });
    await load.sentAtLeast(50, 10_000);
    await run('docker', ['kill', victim], { timeout: 30_000 });
    // Swarm starts a replacement task: a hostname not seen before answers.
    await waitFor(
      async () => {
        const now = await hostnames(8);
        return now.size === 2 && [...now].some((h) => !before.has(h));
      },
      { timeout: 90_000, interval: 250, what: 'the replacement task answering' },
    );
    const figures = await load.finish();
    t.diagnostic(
      `task killed under load: ${figures.sent} requests, ${figures.failed} failed, ${figures.timedOut} timed out`,
    );
    assert.equal(figures.failed + figures.timedOut, 0, `no failed request: ${figures.problems.join('; ')}`);
  });

  test('docker service update --label-add changes the routing', async () => {
    await run(
      'docker',
      ['service', 'update', '-d', '--label-add', 'traefik.http.routers.api.rule=Path(`/index.html`)', api],
      { timeout: 30_000 },
    );
    await waitFor(async () => (await send(`${url}/`)).status === 404, { timeout: 30_000, what: '/ no longer routed' });
    const seen = await hostnames(6, '/index.html');
    assert.equal(seen.size, 2, `answers from ${[...seen].join(', ')}`);
  });
});

describe("the repository's docker-stack.yml (the seed's stack)", { skip, timeout: 300_000 }, () => {
  const stack = `seed${randomBytes(3).toString('hex')}`;
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let web = '';
  let dashboard = '';

  before(async () => {
    for (const image of ['switchyard/switchyard:dev', 'switchyard/static-site:dev', 'switchyard/dynamic-api:dev']) {
      // stack deploy does not build; the Docker suite (compose.test.ts) builds these from docker-compose.yml.
      await run('docker', ['image', 'inspect', image], { timeout: 10_000 }).catch(() => {
        throw new Error(`${image} is missing: build it with docker-compose build (the Docker suite does)`);
      });
    }
    const [webPort, dashboardPort] = [await freePort(), await freePort()];
    web = `http://127.0.0.1:${webPort}`;
    dashboard = `http://127.0.0.1:${dashboardPort}`;
    await run('docker', ['stack', 'deploy', '-c', 'docker-stack.yml', stack], {
      timeout: 60_000,
      env: {
        ...process.env,
        STACK_NAME: stack,
        SWITCHYARD_WEB_PORT: String(webPort),
        SWITCHYARD_DASHBOARD_PORT: String(dashboardPort),
      },
    });
  });

  after(async () => {
    await run('docker', ['stack', 'rm', stack], { timeout: 60_000 }).catch(() => undefined);
    await waitFor(async () => (await docker.listNetworks({ filters: { name: [`${stack}_backend`] } })).length === 0, {
      timeout: 60_000,
      interval: 500,
      what: 'the stack network removed',
    }).catch(() => undefined);
  });

  test('the site, the API across its two replicas, and the dashboard answer', async () => {
    const replicas = await waitFor(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 8; i++) {
          const response = await send(`${web}/api`);
          if (response.status !== 200) return false;
          seen.add((JSON.parse(response.text) as { servedBy: { hostname: string } }).servedBy.hostname);
        }
        return seen.size === 2 ? seen : false;
      },
      { timeout: 120_000, interval: 500, what: 'GET /api answered by both dynamic-server tasks' },
    );
    assert.equal((replicas as Set<string>).size, 2);
    // Each task joins once its health check passes (Swarm holds it in `starting` before).
    const page = await waitFor(
      async () => {
        const response = await send(`${web}/`);
        return response.status === 200 ? response : undefined;
      },
      { timeout: 60_000, interval: 500, what: 'GET / answered by the static site' },
    );
    assert.match(page.text, /<html/i);
    const routers = await send(`${dashboard}/api/http/routers`);
    assert.equal(routers.status, 200);
    const names = (JSON.parse(routers.text) as Array<{ name: string }>).map((r) => r.name);
    assert.ok(names.includes('api@swarm') && names.includes('static@swarm'), names.join(', '));
  });
});
