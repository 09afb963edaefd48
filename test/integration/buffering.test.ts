import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { SPILL_PREFIX } from '../../src/middlewares/spill-buffer.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawExchange } from '../helpers/raw-socket.js';

/** Temporary files of this process's buffering middlewares. */
async function spilledFiles(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith(`${SPILL_PREFIX}${process.pid}-`));
}

describe('buffering through the proxy', () => {
  let backend: Backend;
  let proxy: TestProxy;
  const seen: Array<{ headers: Record<string, unknown>; length: number }> = [];
  const flaky = new Map<string, number>();

  before(async () => {
    backend = await startBackend('app', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ headers: req.headers, length: body.length });
        const url = new URL(req.url ?? '/', 'http://x');
        // /spill/flaky?fails=N: answers 502 to the first N tries of each x-id, then 200.
        const fails = Number(url.searchParams.get('fails') ?? '0');
        if (fails > 0) {
          const id = String(req.headers['x-id']);
          const tries = (flaky.get(id) ?? 0) + 1;
          flaky.set(id, tries);
          res.writeHead(tries <= fails ? 502 : 200, { 'content-type': 'application/json', 'x-try': String(tries) });
          res.end(JSON.stringify({ tries, length: body.length, sum: body.reduce((a, b) => (a + b) % 65521, 0) }));
          return;
        }
        const size = Number(url.searchParams.get('size') ?? '-1');
        if (size >= 0) {
          // Streamed without a length, in pieces.
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          for (let sent = 0; sent < size; sent += 16 * 1024)
            res.write(Buffer.alloc(Math.min(16 * 1024, size - sent), 97));
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ length: body.length, sum: body.reduce((a, b) => (a + b) % 65521, 0) }));
      });
    });
    proxy = await startProxy({
      http: {
        routers: {
          small: { rule: 'PathPrefix(`/small`)', service: 'app', middlewares: ['small'] },
          spill: { rule: 'PathPrefix(`/spill`)', service: 'app', middlewares: ['spill'] },
        },
        middlewares: {
          small: { buffering: { maxRequestBodyBytes: 1000, maxResponseBodyBytes: '100000' } },
          spill: {
            buffering: {
              memRequestBodyBytes: 1024,
              memResponseBodyBytes: 1024,
              retryExpression: 'IsNetworkError() && Attempts() < 2',
            },
          },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('forwards a small chunked body whole, with a Content-Length', async () => {
    const r = await send(`${proxy.url}/small`, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(900),
    });
    assert.equal(r.status, 200);
    const last = seen.at(-1)!;
    assert.equal(last.headers['content-length'], '900');
    assert.equal(last.headers['transfer-encoding'], undefined);
  });

  it('answers 413 without forwarding a body over maxRequestBodyBytes (announced or chunked)', async () => {
    const before = backend.hits;
    const announced = await send(`${proxy.url}/small`, { method: 'POST', body: 'x'.repeat(1001) });
    assert.equal(announced.status, 413);
    const chunked = await rawExchange(
      proxy.port,
      `POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'y'.repeat(1024)}\r\n0\r\n\r\n`,
    );
    assert.equal(chunked.finals[0]?.status, 413);
    assert.equal(backend.hits, before);
  });

  it('spills a large request to a temporary file, sends it whole, and removes the file', async () => {
    const body = Buffer.alloc(300 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const r = await send(`${proxy.url}/spill`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body });
    assert.equal(r.status, 200);
    const answer = JSON.parse(r.text) as { length: number; sum: number };
    assert.equal(answer.length, body.length);
    assert.equal(
      answer.sum,
      body.reduce((a, b) => (a + b) % 65521, 0),
    );
    assert.equal(seen.at(-1)!.headers['content-length'], String(body.length));
    await waitFor(async () => ((await spilledFiles()).length === 0 ? true : undefined), { timeout: 2000 });
  });

  it('spills a large response and sends it with its length', async () => {
    const r = await send(`${proxy.url}/spill?size=200000`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '200000');
    assert.equal(r.headers['transfer-encoding'], undefined);
    assert.equal(r.body.length, 200000);
    await waitFor(async () => ((await spilledFiles()).length === 0 ? true : undefined), { timeout: 2000 });
  });

  it('replaces a response over maxResponseBodyBytes with a 500', async () => {
    const r = await send(`${proxy.url}/small?size=150000`);
    assert.equal(r.status, 500);
    const ok = await send(`${proxy.url}/small?size=5000`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-length'], '5000');
  });

  it('replays an exchange retryExpression objects to, the kept body sent whole again (IsNetworkError() && Attempts() < 2)', async () => {
    assert.equal(proxy.app.runtime.middlewares.get('spill@file')?.status, 'enabled');
    const body = Buffer.alloc(100 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13) % 251;
    const sum = body.reduce((a, b) => (a + b) % 65521, 0);
    const once = await send(`${proxy.url}/spill/flaky?fails=1`, { method: 'POST', headers: { 'x-id': 'a' }, body });
    assert.equal(once.status, 200);
    assert.deepEqual(JSON.parse(once.text), { tries: 2, length: body.length, sum });
    assert.equal(once.headers['x-try'], '2');
    // The second 502 is what the expression lets through (Attempts() is 2 by then).
    const twice = await send(`${proxy.url}/spill/flaky?fails=5`, { method: 'POST', headers: { 'x-id': 'b' }, body });
    assert.equal(twice.status, 502);
    assert.equal(twice.headers['x-try'], '2');
    assert.equal(flaky.get('b'), 2);
    // Without a body, and a small one kept in memory, the same.
    assert.equal((await send(`${proxy.url}/spill/flaky?fails=1`, { headers: { 'x-id': 'c' } })).status, 200);
    assert.equal(flaky.get('c'), 2);
    const small = await send(`${proxy.url}/spill/flaky?fails=1`, {
      method: 'POST',
      headers: { 'x-id': 'd' },
      body: 'tiny',
    });
    assert.equal(JSON.parse(small.text).length, 4);
    assert.equal(flaky.get('d'), 2);
    await waitFor(async () => ((await spilledFiles()).length === 0 ? true : undefined), { timeout: 2000 });
  });
});
