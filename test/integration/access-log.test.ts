import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

function config(fast: Backend, slow: Backend) {
  return {
    http: {
      routers: {
        app: { rule: 'PathPrefix(`/`)', service: 'app' },
        slow: { rule: 'PathPrefix(`/slow`)', service: 'slow' },
      },
      services: {
        app: { loadBalancer: { servers: [{ url: fast.url }] } },
        slow: { loadBalancer: { servers: [{ url: slow.url }] } },
      },
    },
  };
}

describe('access log', () => {
  let fast: Backend;
  let slow: Backend;
  const proxies: TestProxy[] = [];
  const dirs: string[] = [];

  before(async () => {
    fast = await startBackend('fast', (req, res) => {
      const status = req.url?.startsWith('/missing') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': 5 });
      res.end('hello');
    });
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 150);
    });
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([fast.close(), slow.close()]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const start = async (flags: (dir: string) => string[]) => {
    // The file path depends on the proxy's temp dir, which exists only once it started: use a
    // dedicated directory chosen up front.
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-access-'));
    dirs.push(dir);
    const proxy = await startProxy(config(fast, slow), flags(dir));
    proxies.push(proxy);
    return { proxy, file: join(dir, 'access.log'), dir };
  };

  it('writes Traefik common-format lines with router, server URL and duration', async () => {
    const { proxy, file } = await start((dir) => [`--accessLog.filePath=${join(dir, 'access.log')}`]);
    await send(`${proxy.url}/hello?x=1`, { headers: { 'user-agent': 'test-agent', referer: 'http://ref.example/' } });
    await send(`${proxy.url}/missing`);
    const written = (await waitFor(() => (lines(file).length === 2 ? lines(file) : undefined), {
      what: 'two lines',
    })) as string[];
    const port = fast.port;
    assert.match(
      written[0] as string,
      new RegExp(
        `^127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "GET /hello\\?x=1 HTTP/1\\.1" 200 5 "http://ref\\.example/" "test-agent" \\d+ "app@file" "http://127\\.0\\.0\\.1:${port}" \\d+ms$`,
      ),
    );
    assert.match(written[1] as string, /"GET \/missing HTTP\/1\.1" 404 5 "-" "-" \d+ "app@file" /);
  });

  it('writes JSON lines with Traefik field names, and keeps only lines a filter accepts', async () => {
    const { proxy, file } = await start((dir) => [
      `--accessLog.filePath=${join(dir, 'access.log')}`,
      '--accessLog.format=json',
      '--accessLog.filters.statusCodes=400-499,503',
      '--accessLog.filters.minDuration=100ms',
    ]);
    await send(`${proxy.url}/ok`);
    await send(`${proxy.url}/missing/thing`);
    await send(`${proxy.url}/slow`);
    await send(`${proxy.url}/ok-again`);
    // Lines are written in order: once this last kept line is there, a wrongly kept /ok-again
    // (sent before it) would be there too.
    await send(`${proxy.url}/missing/marker`);
    await waitFor(() => lines(file).some((line) => line.includes('/missing/marker')), { what: 'the marker line' });
    const entries = lines(file).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      entries.map((e) => e.RequestPath),
      ['/missing/thing', '/slow', '/missing/marker'],
    );
    const missing = entries[0] as Record<string, unknown>;
    assert.equal(missing.DownstreamStatus, 404);
    assert.equal(missing.RequestMethod, 'GET');
    assert.equal(missing.RequestProtocol, 'HTTP/1.1');
    assert.equal(missing.ClientHost, '127.0.0.1');
    assert.equal(missing.RouterName, 'app@file');
    assert.equal(missing.ServiceName, 'app@file');
    assert.equal(missing.ServiceURL, fast.url);
    assert.equal(missing.EntryPointName, 'web');
    assert.equal(missing.RetryAttempts, 0);
    assert.equal(missing.DownstreamContentSize, 5);
    assert.equal(typeof missing.Duration, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(missing.StartUTC))));
    const slowEntry = entries[1] as Record<string, unknown>;
    assert.ok((slowEntry.Duration as number) >= 100e6, 'Duration is in nanoseconds');
    assert.equal(slowEntry.RouterName, 'slow@file');
  });

  it('writes buffered lines within about a second even when the buffer is not full', async () => {
    const { proxy, file } = await start((dir) => [
      `--accessLog.filePath=${join(dir, 'access.log')}`,
      '--accessLog.bufferingSize=50',
    ]);
    for (let i = 0; i < 3; i++) await send(`${proxy.url}/b${i}`);
    await waitFor(() => lines(file).length === 3, { timeout: 3000, what: 'the buffered lines' });
  });

  it('reopens its file on SIGUSR1 after a rotation renamed it', async () => {
    const { proxy, file } = await start((dir) => [`--accessLog.filePath=${join(dir, 'access.log')}`]);
    await send(`${proxy.url}/before-rotation`);
    await waitFor(() => lines(file).length === 1, { what: 'the first line' });
    await rename(file, `${file}.1`);
    await send(`${proxy.url}/between`);
    process.kill(process.pid, 'SIGUSR1');
    await waitFor(() => existsSync(file), { what: 'the reopened file' });
    await send(`${proxy.url}/after-rotation`);
    await waitFor(() => lines(file).some((l) => l.includes('/after-rotation')), { what: 'a line in the new file' });
    const rotated = lines(`${file}.1`);
    assert.ok(rotated[0]?.includes('/before-rotation'));
    assert.ok(!rotated.some((l) => l.includes('/after-rotation')));
    assert.ok(!lines(file).some((l) => l.includes('/before-rotation')));
  });

  it('keeps serving when the log cannot be written, and reports it once', async () => {
    const { proxy } = await start((dir) => {
      // A regular file where a directory should be: the log can never be opened.
      const blocked = join(dir, 'not-a-directory');
      writeFileSync(blocked, '');
      return [`--accessLog.filePath=${join(blocked, 'access.log')}`];
    });
    for (let i = 0; i < 3; i++) assert.equal((await send(`${proxy.url}/x${i}`)).status, 200);
    const logger = proxy.app.options.logger as unknown as { lines: Array<{ level: string; msg?: string }> };
    const reports = () => logger.lines.filter((l) => l.level === 'error' && l.msg?.includes('access log'));
    await waitFor(() => reports().length > 0, { what: 'the write error to be logged' });
    for (let i = 0; i < 3; i++) await send(`${proxy.url}/y${i}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reports().length, 1, 'the error is logged once');
  });
});
