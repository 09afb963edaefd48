import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { send } from '../helpers/http.js';
import { type RunningUp, repoRoot, startUp } from '../helpers/up.js';

/** Calls /api/session six times like a browser: keeping every cookie the answers set. */
async function sessionVisits(web: string): Promise<Array<{ visits: number; replica: string }>> {
  const jar = new Map<string, string>();
  const visits: Array<{ visits: number; replica: string }> = [];
  for (let i = 0; i < 6; i++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await send(new URL('/api/session', web).href, { headers: cookie ? { cookie } : {} });
    assert.equal(response.status, 200);
    const setCookie = response.headers['set-cookie'] ?? [];
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq > 0) jar.set((pair as string).slice(0, eq).trim(), (pair as string).slice(eq + 1).trim());
    }
    const body = JSON.parse(response.text) as { visits: number; servedBy: { replica: string } };
    visits.push({ visits: body.visits, replica: body.servedBy.replica });
  }
  return visits;
}

describe('switchyard up: round robin versus sticky sessions on /api/session', () => {
  let dir: string;
  let composeFile: string;

  before(async () => {
    // The repository's compose file with one more label: a sticky cookie on the API service.
    const root = repoRoot();
    const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8'));
    compose.services['dynamic-server'].labels.push(
      'switchyard.http.services.api.loadbalancer.sticky.cookie.name=sy_sticky',
    );
    for (const service of Object.values(compose.services) as Array<Record<string, Record<string, unknown>>>) {
      if (service['x-switchyard']) service['x-switchyard'].cwd = root;
    }
    dir = await mkdtemp(join(tmpdir(), 'switchyard-sticky-'));
    composeFile = join(dir, 'docker-compose.yml');
    await writeFile(composeFile, stringify(compose));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restarts the per-replica counter as round robin moves the session between replicas', async () => {
    const up: RunningUp = await startUp();
    try {
      const visits = await sessionVisits(up.web);
      assert.equal(new Set(visits.map((v) => v.replica)).size, 2, JSON.stringify(visits));
      assert.ok(
        visits.some((v, i) => i > 0 && v.visits <= (visits[i - 1] as { visits: number }).visits),
        `the counter never restarted: ${JSON.stringify(visits)}`,
      );
    } finally {
      await up.stop();
    }
  });

  it('keeps counting up on one replica when the sticky cookie label is on', async () => {
    const up: RunningUp = await startUp([], 20_000, composeFile);
    try {
      const visits = await sessionVisits(up.web);
      assert.deepEqual(
        visits.map((v) => v.visits),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(new Set(visits.map((v) => v.replica)).size, 1);
    } finally {
      await up.stop();
    }
  });
});
