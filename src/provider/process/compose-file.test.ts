import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadComposeProject } from './compose-file.js';
import { interpolateString } from './interpolate.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-compose-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compose(text: string, env: Record<string, string> = {}) {
  const file = join(dir, 'docker-compose.yml');
  await writeFile(file, text);
  return loadComposeProject(file, env);
}

test('interpolates variables the way compose does', () => {
  const unset = new Set<string>();
  const env = { A: 'a', EMPTY: '' };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax, not a JS template
  assert.equal(interpolateString('$A ${A} ${EMPTY:-d} ${EMPTY-d} ${NONE-n} $$A ${NONE}', env, unset), 'a a d  n $A ');
  assert.deepEqual([...unset], ['NONE']);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax, not a JS template
  assert.throws(() => interpolateString('${NONE:?set it}', env, unset), /required variable NONE is not set: set it/);
});

test('the service with an x-switchyard extension runs as processes; the switchyard image is the router', async () => {
  const project = await compose(`
name: Demo.App
services:
  proxy:
    image: switchyard/switchyard:dev
    command: ["--api.insecure=true", "--entryPoints.web.address=:\${WEB:-8000}", "--providers.docker=true"]
  api:
    image: demo/api
    labels:
      - switchyard.http.routers.api.rule=PathPrefix(\`/api\`)
    environment:
      - MODE=demo
    deploy: { replicas: 3 }
    x-switchyard:
      command: node "my app.js" --port {port}
      env: { PORT: "{port}", REPLICA_ID: "api-{index}", DEBUG: 1 }
      cwd: sub
      readiness: /healthz
  db:
    image: postgres:16
`);
  assert.equal(project.name, 'demoapp');
  assert.deepEqual(project.router, {
    name: 'proxy',
    flags: ['--api.insecure=true', '--entryPoints.web.address=:8000', '--providers.docker=true'],
  });
  assert.deepEqual(project.skipped, [{ name: 'db', reason: 'no x-switchyard extension, so it needs Docker' }]);
  const [api] = project.services;
  assert.deepEqual(api?.argv, ['node', 'my app.js', '--port', '{port}']);
  assert.equal(api?.cwd, join(dir, 'sub'));
  assert.deepEqual(api?.env, { MODE: 'demo', PORT: '{port}', REPLICA_ID: 'api-{index}', DEBUG: '1' });
  assert.equal(api?.replicas, 3);
  assert.equal(api?.readiness, '/healthz');
  assert.deepEqual(api?.labels, { 'switchyard.http.routers.api.rule': 'PathPrefix(`/api`)' });
});

test('an invalid x-switchyard extension is an error naming the key', async () => {
  await assert.rejects(
    compose('services:\n  api:\n    x-switchyard:\n      command: node a.js\n      replicas: -1\n'),
    /services\.api\.x-switchyard\.replicas/,
  );
  await assert.rejects(compose('services:\n  api:\n    x-switchyard:\n      comand: node a.js\n'), /x-switchyard/);
  await assert.rejects(loadComposeProject(join(dir, 'missing.yml')), /no such file \(use -f FILE/);
});
