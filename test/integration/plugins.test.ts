import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, echo, startBackend } from '../helpers/backends.js';
import { send, sendJson } from '../helpers/http.js';
import { memoryLogger, startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawExchange } from '../helpers/raw-socket.js';
import { repoRoot } from '../helpers/up.js';

/** Fixture plugins that misbehave on purpose, written into the test's plugins-local/src. */
const FIXTURES: Record<string, string> = {
  'throws-at-load': `throw new Error('broken at load');\nexport function create() {}\n`,
  unruly: `
export function createConfig() { return { hangPath: '/hang' }; }
export function create(next, config) {
  return async (req, res) => {
    if (req.headers['x-boom'] === 'sync') throw new Error('boom per request');
    if (req.headers['x-boom'] === 'async') { await Promise.resolve(); throw new Error('async boom'); }
    if (req.url.startsWith(config.hangPath)) return; // never calls next, never answers
    if (req.url.startsWith('/rewrite')) req.url = '/rewritten' + req.url.slice('/rewrite'.length);
    next(req, res);
  };
}
`,
  'bad-create': `export function create(next, config) { throw new Error('missing option: ' + config.needed); }\n`,
};

describe('JavaScript local plugins through the proxy', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let dir: string;
  const logger = memoryLogger();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-plugins-'));
    const src = join(dir, 'plugins-local', 'src');
    // The documented example, as a user would copy it.
    await cp(join(repoRoot(), 'examples', 'plugins-local', 'src', 'request-stamp'), join(src, 'request-stamp'), {
      recursive: true,
    });
    for (const [name, code] of Object.entries(FIXTURES)) {
      await mkdir(join(src, name), { recursive: true });
      await writeFile(join(src, name, 'index.js'), code);
    }
    backend = await startBackend('app', (req, res, self) => {
      if (req.url === '/s/cookies') {
        res.writeHead(200, { 'set-cookie': ['a=1', 'b=2'], 'x-stamped-by': 'server', 'content-length': '2' });
        res.end('ok');
      } else echo(req, res, self);
    });
    proxy = await startProxy(
      {
        http: {
          routers: {
            stamped: { rule: 'PathPrefix(`/s`)', service: 'app', middlewares: ['stamp-it'] },
            unruly: { rule: 'PathPrefix(`/`)', service: 'app', middlewares: ['unruly'], priority: 1 },
            broken: { rule: 'PathPrefix(`/broken`)', service: 'app', middlewares: ['broken'] },
            badcreate: { rule: 'PathPrefix(`/badcreate`)', service: 'app', middlewares: ['bad-create'] },
          },
          middlewares: {
            'stamp-it': {
              plugin: {
                stamp: { headers: { 'X-Stamp': 'switchyard' }, blockedPaths: '/s/admin', blockStatus: '451' },
              },
            },
            unruly: { plugin: { unruly: {} } },
            broken: { plugin: { broken: {} } },
            'bad-create': { plugin: { badCreate: { needed: 'x' } } },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [
        '--experimental.localPlugins.stamp.moduleName=request-stamp',
        '--experimental.localPlugins.unruly.moduleName=unruly',
        '--experimental.localPlugins.broken.moduleName=throws-at-load',
        '--experimental.localPlugins.badCreate.moduleName=bad-create',
        '--entryPoints.web.transport.respondingTimeouts.writeTimeout=300ms',
      ],
      { workingDirectory: dir, logger },
    );
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds the configured request header (labels-style string options take the defaults’ types)', async () => {
    const { json, response } = await sendJson(`${proxy.url}/s/page`);
    assert.equal((json.headers as Record<string, string>)['x-stamp'], 'switchyard');
    assert.equal(response.headers['x-stamped-by'], 'stamp-it@file');
  });

  it('keeps every Set-Cookie of the server beside headers the plugin set (both values of a header set on both sides)', async () => {
    const r = await send(`${proxy.url}/s/cookies`);
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['x-stamped-by'], 'stamp-it@file, server');
  });

  it('answers a blocked path itself: the server never sees it', async () => {
    const hits = backend.hits;
    const r = await send(`${proxy.url}/s/admin/users`);
    assert.equal(r.status, 451);
    assert.equal(r.text, 'blocked by stamp-it@file\n');
    assert.equal(backend.hits, hits);
  });

  it('follows a rewritten req.url to the server', async () => {
    const { json } = await sendJson(`${proxy.url}/rewrite/x?q=1`);
    assert.equal(json.url, '/rewritten/x?q=1');
  });

  it('answers 500 and logs when the plugin throws or rejects for one request, and keeps serving', async () => {
    for (const mode of ['sync', 'async']) {
      const r = await send(`${proxy.url}/x`, { headers: { 'x-boom': mode } });
      assert.equal(r.status, 500, mode);
    }
    assert.ok(
      logger.lines.some(
        (l) => l.level === 'error' && /plugin middleware unruly@file failed: boom per request/.test(l.msg ?? ''),
      ),
    );
    assert.ok(logger.lines.some((l) => l.level === 'error' && /async boom/.test(l.msg ?? '')));
    const ok = await send(`${proxy.url}/x`);
    assert.equal(ok.status, 200);
  });

  it('puts the middleware in error when its module throws at load or create() throws', async () => {
    const broken = proxy.app.runtime.middlewares.get('broken@file');
    assert.equal(broken?.status, 'disabled');
    assert.match(broken?.errors.join(' ') ?? '', /failed to load: broken at load/);
    const bad = proxy.app.runtime.middlewares.get('bad-create@file');
    assert.match(bad?.errors.join(' ') ?? '', /plugin "badCreate": missing option: x/);
    assert.equal(proxy.app.runtime.routers.get('broken@file')?.status, 'disabled');
    // Its router is disabled: the request falls to the catch-all router instead.
    const r = await send(`${proxy.url}/broken`);
    assert.equal(r.status, 200);
  });

  it('cuts a request the plugin never answers nor passes on, at the entry point’s writeTimeout', async () => {
    const exchange = await rawExchange(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 5000 });
    assert.equal(exchange.closed, true, 'the connection is cut');
    assert.equal(exchange.finals.length, 0);
  });
});
