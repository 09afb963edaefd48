import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const PAGE = Buffer.from('<p>Switchyard routes trains of requests to the right platform.</p>\n'.repeat(16 * 1024));

const NOISE = randomBytes(64 * 1024);
// 64 MiB: more than the kernel's loopback buffers on both hops can hold (up to ~20 MiB).
const BIG_CHUNKS = 1024;
let bigWritten = 0;
let bigClosed: import('node:http').ServerResponse | null = null;

describe('compress through the proxy', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let release: (() => void) | null = null;

  before(async () => {
    backend = await startBackend('app', (req, res) => {
      if (req.url === '/big') {
        // Incompressible and larger than every buffer between here and the client.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        bigClosed = res;
        let chunk = 0;
        const pump = () => {
          while (chunk < BIG_CHUNKS) {
            bigWritten += NOISE.length;
            chunk++;
            if (!res.write(NOISE)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      if (req.url === '/stream') {
        // A streamed answer: the first part must reach the client before the server finishes.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Shorter than minResponseBodyBytes: compressed and flushed anyway, not held back.
        res.write('data: first\n\n');
        release = () => res.end('data: end\n\n');
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': PAGE.length,
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(PAGE);
    });
    proxy = await startProxy({
      http: {
        routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', middlewares: ['gz', 'tag'] } },
        middlewares: {
          gz: { compress: {} },
          tag: { headers: { customResponseHeaders: { 'X-Tag': 'yes' } } },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('gzips a 1 MiB page, keeping the server’s cookies and the middlewares’ headers', async () => {
    const r = await send(`${proxy.url}/page`, { headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['x-tag'], 'yes');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.ok(zlib.gunzipSync(r.body).equals(PAGE));
  });

  it('brotli-compresses for a client that prefers br, and leaves identity clients alone', async () => {
    const br = await send(`${proxy.url}/page`, { headers: { 'accept-encoding': 'gzip;q=0.8, br' } });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(zlib.brotliDecompressSync(br.body).equals(PAGE));
    const plain = await send(`${proxy.url}/page`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['content-length'], String(PAGE.length));
    assert.ok(plain.body.equals(PAGE));
  });

  it('keeps backpressure: a client that stops reading stops the server', async () => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/big', headers: { 'accept-encoding': 'gzip' } });
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    assert.equal(res.headers['content-encoding'], 'gzip');
    res.pause();
    // Wait until the server is held back (it wrote nothing more for a while), then check that it
    // was held well before the end: the proxy did not take the whole body into memory.
    let last = -1;
    while (bigWritten !== last) {
      last = bigWritten;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    assert.ok(
      bigWritten < BIG_CHUNKS * NOISE.length,
      `the server wrote everything (${bigWritten} bytes) while the client read nothing`,
    );
    // What did arrive is a valid gzip stream so far; then the client leaves, and the proxy lets
    // the server go (its connection is closed, not drained into memory).
    const gunzip = zlib.createGunzip();
    let size = 0;
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    res.pipe(gunzip);
    await new Promise<void>((resolve) => {
      const check = () => (size > 1024 * 1024 ? resolve() : setTimeout(check, 20));
      check();
    });
    req.destroy();
    await once(bigClosed!, 'close');
  });

  it('flushes a streamed response as it goes', async () => {
    const req = request({
      host: '127.0.0.1',
      port: proxy.port,
      path: '/stream',
      headers: { 'accept-encoding': 'gzip' },
    });
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    assert.equal(res.headers['content-encoding'], 'gzip');
    const gunzip = zlib.createGunzip();
    res.pipe(gunzip);
    let text = '';
    let firstEvent: () => void = () => undefined;
    const decoded = new Promise<void>((resolve) => {
      firstEvent = resolve;
    });
    gunzip.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('data: first\n\n')) firstEvent();
    });
    // The first event decodes while the server still holds the response open.
    await decoded;
    assert.ok(release !== null);
    release!();
    await once(gunzip, 'end');
    assert.ok(text.endsWith('data: end\n\n'));
  });
});
