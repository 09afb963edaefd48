/**
 * Traefik 3.6 service types and options that published configurations use, through the real
 * proxy: the highestRandomWeight service, the leasttime strategy, retry on statuses and its
 * other options, noop@internal and the REST provider (rest@internal), multi-layer routing
 * (`parentRefs`); and `switchyard check` on a Go-templated dynamic file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';
import { send, sendJson } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

async function backendOf(url: string, options: Parameters<typeof send>[1] = {}): Promise<string> {
  const response = await send(url, options);
  return `${response.status} ${response.headers['x-backend'] ?? response.text.trim()}`;
}

describe('highestRandomWeight service', () => {
  let backends: Backend[];
  let proxy: TestProxy;
  const config = (weights: Record<string, number>) => ({
    http: {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'hrw' } },
      services: {
        hrw: { highestRandomWeight: { services: Object.entries(weights).map(([name, weight]) => ({ name, weight })) } },
        ...Object.fromEntries(backends.map((b) => [b.name, { loadBalancer: { servers: [{ url: b.url }] } }])),
      },
    },
  });

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((name) => startBackend(name)));
    proxy = await startProxy(config({ a: 1, b: 1, c: 1 }));
  });
  after(async () => {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('sends every request of one client IP to one child service, which moves only when that child goes', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await backendOf(`${proxy.url}/`));
    assert.equal(seen.size, 1, [...seen].join());
    const [first] = [...seen];
    const chosen = first!.split(' ')[1]!;
    assert.ok(['a', 'b', 'c'].includes(chosen), first);

    // Weight 0 takes the chosen child out: the client moves, and comes back when it returns.
    await proxy.update(config({ a: 1, b: 1, c: 1, [chosen]: 0 }));
    const moved = await backendOf(`${proxy.url}/`);
    assert.notEqual(moved, first);
    assert.equal(await backendOf(`${proxy.url}/`), moved);
    await proxy.update(config({ a: 1, b: 1, c: 1 }));
    assert.equal(await backendOf(`${proxy.url}/`), first);
  });

  it('shows its children and type in the runtime configuration', () => {
    const service = proxy.app.runtime.services.get('hrw@file');
    assert.equal(service?.type, 'highestrandomweight');
    assert.equal(service?.status, 'enabled');
    assert.deepEqual(proxy.app.runtime.services.get('a@file')?.usedBy, ['hrw@file']);
  });
});

describe('leasttime strategy', () => {
  let fast: Backend;
  let slow: Backend;
  let proxy: TestProxy;

  before(async () => {
    fast = await startBackend('fast');
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('slow'), 40);
    });
    proxy = await startProxy({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: { s: { loadBalancer: { strategy: 'leasttime', servers: [{ url: fast.url }, { url: slow.url }] } } },
      },
    });
  });
  after(async () => {
    await proxy.stop();
    await fast.close();
    await slow.close();
  });

  it('tries each server, then sends requests to the one that answers first', async () => {
    for (let i = 0; i < 30; i++) assert.equal((await send(`${proxy.url}/`)).status, 200);
    // Both are new (score 0, a tie): round robin until the slow one has a time of its own.
    assert.ok(slow.hits >= 1 && slow.hits <= 2, `slow served ${slow.hits}`);
    assert.equal(fast.hits + slow.hits, 30);
  });
});

describe('retry middleware: Traefik 3.6 options', () => {
  let good: Backend;
  let busy: Backend;
  let deadUrl: string;
  let proxy: TestProxy;

  before(async () => {
    good = await startBackend('good');
    busy = await startBackend('busy', (req, res) => {
      req.resume();
      res.writeHead(503, { 'x-backend': 'busy' });
      res.end('busy');
    });
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    const both = { loadBalancer: { servers: [{ url: busy.url }, { url: good.url }] } };
    proxy = await startProxy({
      http: {
        routers: {
          status: { rule: 'Path(`/status`)', service: 'both', middlewares: ['onStatus'] },
          plain: { rule: 'Path(`/plain`)', service: 'both', middlewares: ['onErrors'] },
          post: { rule: 'Path(`/post`)', service: 'both', middlewares: ['onStatusPost'] },
          noNetwork: { rule: 'Path(`/no-network`)', service: 'deadFirst', middlewares: ['noNetwork'] },
        },
        middlewares: {
          onStatus: { retry: { attempts: 3, status: ['500-599'] } },
          onErrors: { retry: { attempts: 3 } },
          onStatusPost: { retry: { attempts: 3, status: ['503'], retryNonIdempotentMethod: true } },
          noNetwork: { retry: { attempts: 3, status: ['503'], disableRetryOnNetworkError: true } },
        },
        services: {
          both,
          deadFirst: { loadBalancer: { servers: [{ url: deadUrl }, { url: good.url }] } },
        },
      },
    });
  });
  after(async () => {
    await proxy.stop();
    await good.close();
    await busy.close();
  });

  it('status: an answer in the ranges is dropped and the request goes to another server', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await backendOf(`${proxy.url}/status`));
    assert.deepEqual([...answers], ['200 good']);
    assert.ok(busy.hits >= 2, 'the busy server was tried and its 503 never reached the client');
  });

  it('without status, an answer is an answer: the 503 reaches the client', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await backendOf(`${proxy.url}/plain`));
    assert.deepEqual([...answers].sort(), ['200 good', '503 busy']);
  });

  it('retryNonIdempotentMethod: a POST answered 503 is sent again, its body replayed', async () => {
    for (let i = 0; i < 4; i++) {
      const response = await send(`${proxy.url}/post`, { method: 'POST', body: `payload-${i}` });
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.text).body, `payload-${i}`);
    }
  });

  it('disableRetryOnNetworkError: a refused connection is answered 502, not tried elsewhere', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 4; i++) statuses.add((await send(`${proxy.url}/no-network`)).status);
    assert.deepEqual([...statuses].sort(), [200, 502]);
  });

  it('refuses disableRetryOnNetworkError without status, naming the key', async () => {
    await proxy.update({
      http: {
        routers: { r: { rule: 'Path(`/x`)', service: 'deadFirst', middlewares: ['bad'] } },
        middlewares: { bad: { retry: { attempts: 2, disableRetryOnNetworkError: true } } },
        services: { deadFirst: { loadBalancer: { servers: [{ url: good.url }] } } },
      },
    });
    const middleware = proxy.app.runtime.middlewares.get('bad@file');
    assert.equal(middleware?.status, 'disabled');
    assert.match(middleware?.errors.join() ?? '', /http\.middlewares\.bad@file\.retry\.disableRetryOnNetworkError/);
  });
});

describe('noop@internal and the REST provider', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let traefik: string;

  before(async () => {
    backend = await startBackend('from-rest');
    proxy = await startProxy(
      {
        http: {
          routers: {
            redirect: { rule: 'Path(`/noop`)', service: 'noop@internal' },
          },
        },
      },
      ['--entryPoints.traefik.address=127.0.0.1:0', '--providers.rest.insecure=true'],
    );
    traefik = `http://127.0.0.1:${proxy.app.entryPoints.get('traefik')?.port}`;
  });
  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('noop@internal answers 418 with an empty body, as Traefik', async () => {
    const response = await send(`${proxy.url}/noop`);
    assert.equal(response.status, 418);
    assert.equal(response.text, '');
  });

  it('PUT /api/providers/rest replaces the rest provider configuration, which then routes', async () => {
    const configuration = {
      http: {
        routers: { fromRest: { rule: 'Path(`/rest`)', service: 'app', entryPoints: ['web'] } },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    };
    const before = proxy.app.reloads;
    const put = await sendJson(`${traefik}/api/providers/rest`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(configuration),
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, configuration);
    const deadline = Date.now() + 3000;
    while (proxy.app.reloads === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await backendOf(`${proxy.url}/rest`), '200 from-rest');
    assert.equal(proxy.app.runtime.routers.get('fromRest@rest')?.status, 'enabled');
  });

  it('answers 400 for another provider, 405 for another method, 400 for a body that is not JSON', async () => {
    const other = await sendJson(`${traefik}/api/providers/file`, { method: 'PUT', body: '{}' });
    assert.equal(other.status, 400);
    assert.match(String(other.json.message), /Only 'rest' provider can be updated/);
    assert.equal((await send(`${traefik}/api/providers/rest`)).status, 405);
    assert.equal((await send(`${traefik}/api/providers/rest`, { method: 'PUT', body: '{nope' })).status, 400);
  });
});

describe('switchyard check on templated files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-template-check-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders the template before checking (as the file provider does) and names removed headers options', async () => {
    const file = join(dir, 'templated.yml');
    await writeFile(
      file,
      [
        'http:',
        '  routers:',
        '{{- range $i, $e := until 3 }}',
        '    app{{ $e }}:',
        '      rule: "Host(`app{{ $e }}.{{ env "SY_CHECK_DOMAIN" | default "example.test" }}`)"',
        '      service: app',
        '      middlewares: [secure]',
        '{{- end }}',
        '  middlewares:',
        '    secure:',
        '      headers:',
        '        sslRedirect: true',
        '        frameDeny: true',
        '  services:',
        '    app:',
        '      loadBalancer:',
        '        servers:',
        '          - url: http://127.0.0.1:1',
        '',
      ].join('\n'),
    );
    const result = await runCli(['check', '--entryPoints.web.address=:0', file], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /3 routers, 1 services, 1 middlewares/);
    assert.match(result.stdout, /http\.middlewares\.secure@file\.headers\.sslRedirect: removed in Traefik v3/);
  });

  it('reports a template fault once, with file:line:col', async () => {
    const file = join(dir, 'broken.yml');
    await writeFile(file, 'http:\n  routers:\n    r{{ shout 1 }}: {}\n');
    const result = await runCli(['check', '--entryPoints.web.address=:0', file], { cwd: dir });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const output = result.stdout + result.stderr;
    assert.match(output, /broken\.yml:3:9: function "shout" not defined/);
    assert.equal(output.split('broken.yml:3:9').length - 1, 1, output);
  });
});

describe('multi-layer routing (parentRefs)', () => {
  let admin: Backend;
  let user: Backend;
  let proxy: TestProxy;

  before(async () => {
    admin = await startBackend('admin');
    user = await startBackend('user');
    proxy = await startProxy({
      http: {
        routers: {
          // The parent: no service; its middleware sets what the children match on.
          api: { rule: 'PathPrefix(`/api`)', middlewares: ['role'] },
          apiAdmin: {
            rule: 'Header(`X-Role`, `admin`) && PathPrefix(`/api/admin`)',
            service: 'admin',
            parentRefs: ['api'],
          },
          apiUser: { rule: 'Header(`X-Role`, `admin`)', service: 'user', parentRefs: ['api'] },
          // Faults, each named on its router.
          orphan: { rule: 'Path(`/o`)', service: 'user', parentRefs: ['missing'] },
          withEntryPoints: { rule: 'Path(`/e`)', service: 'user', parentRefs: ['api'], entryPoints: ['web'] },
          both: { rule: 'Path(`/both`)', service: 'user' },
          underBoth: { rule: 'Path(`/both`)', service: 'admin', parentRefs: ['both'] },
          deadEnd: { rule: 'Path(`/dead`)' },
        },
        middlewares: { role: { headers: { customRequestHeaders: { 'X-Role': 'admin' } } } },
        services: {
          admin: { loadBalancer: { servers: [{ url: admin.url }] } },
          user: { loadBalancer: { servers: [{ url: user.url }] } },
        },
      },
    });
  });
  after(async () => {
    await proxy.stop();
    await admin.close();
    await user.close();
  });

  it("matches the children after the parent's middlewares, by priority, and 404 when none matches", async () => {
    assert.equal(await backendOf(`${proxy.url}/api/admin/x`), '200 admin');
    assert.equal(await backendOf(`${proxy.url}/api/other`), '200 user');
    // The client's own header is replaced by the parent's middleware before the children match.
    assert.equal(await backendOf(`${proxy.url}/api/other`, { headers: { 'X-Role': 'guest' } }), '200 user');
    assert.equal((await send(`${proxy.url}/elsewhere`)).status, 404);
  });

  it("children are not attached to entry points themselves: a child's rule alone matches nothing", async () => {
    // apiUser's rule matches any request with the header, but only under its parent.
    assert.equal((await send(`${proxy.url}/x`, { headers: { 'X-Role': 'admin' } })).status, 404);
  });

  it("names each fault of the tree on its router, as Traefik's ParseRouterTree does", () => {
    const routers = proxy.app.runtime.routers;
    const errorsOf = (name: string) =>
      `${routers.get(`${name}@file`)?.status}: ${routers.get(`${name}@file`)?.errors.join('; ')}`;
    assert.match(errorsOf('orphan'), /^disabled: .*parent router "missing@file" does not exist/);
    assert.match(errorsOf('withEntryPoints'), /^disabled: .*non-root router cannot have Entrypoints configuration/);
    assert.match(errorsOf('both'), /^disabled: .*router has both a service and is referenced as a parent/);
    assert.match(errorsOf('deadEnd'), /^disabled: .*no service/);
    assert.equal(routers.get('api@file')?.status, 'enabled');
    assert.equal(routers.get('apiAdmin@file')?.status, 'enabled');
    assert.deepEqual(routers.get('apiAdmin@file')?.using, ['web']);
  });
});
