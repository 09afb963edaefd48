import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from '../shared/test-http.js';
import { type StaticSiteServer, startStaticSiteServer } from './server.js';

describe('static site server on a fixture folder', () => {
  let base: string;
  let dir: string;
  let site: StaticSiteServer;
  before(async () => {
    // The served root is a folder inside the test's own temporary folder, so the file a
    // traversal would reach (../sy-outside.txt) and the symlink's target certainly exist.
    base = await mkdtemp(join(tmpdir(), 'sy-static-'));
    dir = join(base, 'root');
    await mkdir(dir);
    const files: Record<string, string> = {
      'index.html': '<!doctype html><title>home</title>',
      'style.css': 'body{}',
      'app.js': 'console.log(1)',
      'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
      'pic.png': 'png',
      'favicon.ico': 'ico',
      'data.json': '{}',
      'font.woff2': 'woff2',
      'blob.bin': 'bin',
      '.secret': 'hidden',
      '404.html': '<!doctype html><title>lost</title>',
    };
    for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
    await writeFile(join(base, 'sy-outside.txt'), 'outside');
    await symlink(join(base, 'sy-outside.txt'), join(dir, 'escape.txt'));
    site = await startStaticSiteServer({ port: 0, host: '127.0.0.1', root: dir, replicaId: 'site-1' });
  });
  after(async () => {
    await site.close();
    await rm(base, { recursive: true, force: true });
  });

  const types: Array<[string, string]> = [
    ['/index.html', 'text/html; charset=utf-8'],
    ['/style.css', 'text/css; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/logo.svg', 'image/svg+xml'],
    ['/pic.png', 'image/png'],
    ['/favicon.ico', 'image/x-icon'],
    ['/data.json', 'application/json; charset=utf-8'],
    ['/font.woff2', 'font/woff2'],
    ['/blob.bin', 'application/octet-stream'],
  ];
  for (const [path, type] of types) {
    it(`serves ${path} as ${type}`, async () => {
      const res = await request(site.port, path);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-served-by'], 'site-1');
    });
  }

  it('serves index.html for the root, revalidated on every load', async () => {
    const res = await request(site.port, '/');
    assert.equal(res.status, 200);
    assert.equal(res.body, '<!doctype html><title>home</title>');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
  });

  it('lets assets be cached for a day, with an ETag and Last-Modified', async () => {
    const res = await request(site.port, '/style.css?v=1');
    assert.equal(res.headers['cache-control'], 'public, max-age=86400');
    assert.match(String(res.headers.etag), /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(!Number.isNaN(Date.parse(String(res.headers['last-modified']))));
    assert.equal(res.headers['content-length'], '6');
  });

  it('answers 304 with no body to a matching If-None-Match', async () => {
    const first = await request(site.port, '/app.js');
    const etag = String(first.headers.etag);
    const res = await request(site.port, '/app.js', { headers: { 'if-none-match': `"other", ${etag}` } });
    assert.equal(res.status, 304);
    assert.equal(res.body, '');
    assert.equal(res.headers.etag, etag);
    const stale = await request(site.port, '/app.js', { headers: { 'if-none-match': '"nope"' } });
    assert.equal(stale.status, 200);
  });

  it('answers 304 to If-Modified-Since at or after the modification time', async () => {
    const first = await request(site.port, '/app.js');
    const lastModified = String(first.headers['last-modified']);
    const res = await request(site.port, '/app.js', { headers: { 'if-modified-since': lastModified } });
    assert.equal(res.status, 304);
    const older = await request(site.port, '/app.js', {
      headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
    });
    assert.equal(older.status, 200);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const res = await request(site.port, '/style.css', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-length'], '6');
    assert.equal(res.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('answers a missing file with the 404 page', async () => {
    const res = await request(site.port, '/missing.html');
    assert.equal(res.status, 404);
    assert.equal(res.body, '<!doctype html><title>lost</title>');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  });

  it('hides dotfiles as missing', async () => {
    assert.equal((await request(site.port, '/.secret')).status, 404);
    assert.equal((await request(site.port, '/%2esecret')).status, 404);
  });

  for (const path of [
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fsy-outside.txt',
    '/a/..%2f..%2fetc/passwd',
  ]) {
    it(`refuses the traversal ${path}`, async () => {
      const res = await request(site.port, path);
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.body, /outside|"name"/);
    });
  }

  it('refuses a malformed percent-encoding and a backslash', async () => {
    assert.equal((await request(site.port, '/%E0%A4%A')).status, 400);
    assert.equal((await request(site.port, '/..%5c..%5cetc')).status, 400);
  });

  it('does not follow a symlink out of the root', async () => {
    assert.equal((await request(site.port, '/escape.txt')).status, 404);
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const res = await request(site.port, '/index.html', { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  it('answers health checks', async () => {
    const res = await request(site.port, '/healthz');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).status, 'ok');
  });
});

describe('static site server on its own public folder', () => {
  it('finds public/ by default and serves the landing page, its assets and its 404 page', async () => {
    const site = await startStaticSiteServer({ port: 0, host: '127.0.0.1' });
    try {
      const page = await request(site.port, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /Switchyard Departures/);
      for (const id of ['served-by', 'tally', 'history', 'api-status', 'departures']) {
        assert.match(page.body, new RegExp(`id="${id}"`));
      }
      for (const asset of ['/styles.css', '/app.js', '/logo.svg', '/favicon.svg']) {
        assert.equal((await request(site.port, asset)).status, 200, asset);
      }
      const missing = await request(site.port, '/nope');
      assert.equal(missing.status, 404);
      assert.match(missing.body, /Back to the departures board/);
    } finally {
      await site.close();
    }
  });
});
