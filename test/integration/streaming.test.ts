import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { freeLeases } from '../../src/proxy/read-lease.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const MB = 1024 * 1024;
const TOTAL = 200 * MB;
const CHUNK = Buffer.alloc(64 * 1024, 'switchyard ');

describe('streaming and upgrades', () => {
  let sink: Backend;
  let source: Backend;
  let wsBackend: Backend;
  let wss: WebSocketServer;
  let proxy: TestProxy;

  before(async () => {
    // Counts and hashes what it receives without keeping it.
    sink = await startBackend('sink', (req, res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
    });
    // Streams TOTAL bytes, respecting backpressure.
    source = await startBackend('source', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    wsBackend = await startBackend('ws', (_req, res) => res.end('plain'));
    wss = new WebSocketServer({ server: wsBackend.server });
    wss.on('connection', (socket, req) => {
      socket.on('message', (data) => socket.send(`echo:${data}:${req.headers['x-forwarded-for']}`));
    });
    proxy = await startProxy({
      http: {
        routers: {
          upload: { rule: 'Path(`/upload`)', service: 'sink' },
          download: { rule: 'Path(`/download`)', service: 'source' },
          ws: { rule: 'PathPrefix(`/ws`)', service: 'ws' },
        },
        services: {
          sink: { loadBalancer: { servers: [{ url: sink.url }] } },
          source: { loadBalancer: { servers: [{ url: source.url }] } },
          ws: { loadBalancer: { servers: [{ url: wsBackend.url }] } },
        },
      },
    });
  });

  after(async () => {
    wss.close();
    await proxy.stop();
    await Promise.all([sink.close(), source.close(), wsBackend.close()]);
  });

  it('streams a 200 MB upload to the server without buffering it', async () => {
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const expected = createHash('sha256');
    const result = await new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      const req = request(
        `${proxy.url}/upload`,
        { method: 'POST', headers: { 'content-type': 'application/octet-stream' } },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(JSON.parse(body)));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK.length;
          expected.update(CHUNK);
          peak = Math.max(peak, process.memoryUsage().rss);
          if (!req.write(CHUNK)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(result.bytes, TOTAL);
    assert.equal(result.sha256, expected.digest('hex'));
    // Client, proxy and server share this process: a buffered body would add 200 MB or more.
    assert.ok(peak - rssBefore < 100 * MB, `RSS grew by ${Math.round((peak - rssBefore) / MB)} MB`);
  });

  it('streams a 200 MB download to the client without buffering it', async () => {
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const bytes = await new Promise<number>((resolve, reject) => {
      request(`${proxy.url}/download`, (res) => {
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          peak = Math.max(peak, process.memoryUsage().rss);
        });
        res.on('end', () => resolve(total));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(bytes, TOTAL);
    assert.ok(peak - rssBefore < 100 * MB, `RSS grew by ${Math.round((peak - rssBefore) / MB)} MB`);
  });

  it('proxies a WebSocket conversation both ways', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/chat`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));
    socket.send('one');
    socket.send('two');
    const deadline = Date.now() + 3000;
    while (replies.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.close();
    assert.deepEqual(replies, ['echo:one:127.0.0.1', 'echo:two:127.0.0.1']);
  });

  it('answers 404 to an upgrade request no router matches', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/nowhere`);
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', () => resolve(-1));
    });
    assert.equal(status, 404);
  });
});

/** Bytes of response `seed`: a pattern no other response shares, so a mixed-up buffer shows. */
function pattern(seed: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('large responses under concurrency', () => {
  let varied: Backend;
  let proxy: TestProxy;

  before(async () => {
    // /r?seed=N&size=S&chunked=1&pieces=P — the pattern for N, sent with a length or chunked,
    // in P writes so reads upstream split at different places.
    varied = await startBackend('varied', (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const body = pattern(Number(q.get('seed')), Number(q.get('size')));
      const pieces = Number(q.get('pieces') ?? 1);
      if (q.get('chunked') !== '1') res.setHeader('content-length', body.length);
      const step = Math.ceil(body.length / pieces);
      let at = 0;
      const next = () => {
        if (at >= body.length) return res.end();
        const piece = body.subarray(at, at + step);
        at += step;
        if (res.write(piece)) setImmediate(next);
        else res.once('drain', next);
      };
      next();
    });
    proxy = await startProxy({
      http: {
        routers: { varied: { rule: 'PathPrefix(`/r`)', service: 'varied' } },
        services: { varied: { loadBalancer: { servers: [{ url: varied.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await varied.close();
  });

  it('hands every client its own bytes when many large responses are relayed at once', {
    timeout: 180_000,
  }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const sizes = [5 * 1024, 64 * 1024, 100 * 1024, 300 * 1024];
    const requests: Array<Promise<void>> = [];
    for (let seed = 1; seed <= 240; seed++) {
      // Every fifth client reads a 2 MiB body slowly: socket buffers fill, so the proxy's writes
      // stay pending in memory while other responses are read — where a reused buffer would show.
      // Some of those go away mid-body, so writes are also abandoned while others are pending.
      const slow = seed % 5 === 0;
      const aborts = seed % 20 === 10;
      const size = slow ? 2 * 1024 * 1024 : (sizes[seed % sizes.length] as number);
      const chunked = seed % 3 === 0 ? '1' : '0';
      const pieces = slow ? 32 : 1 + (seed % 4);
      const expected = createHash('sha256').update(pattern(seed, size)).digest('hex');
      requests.push(
        new Promise<void>((resolve, reject) => {
          const url = `${proxy.url}/r?seed=${seed}&size=${size}&chunked=${chunked}&pieces=${pieces}`;
          request(url, { agent }, (res) => {
            const hash = createHash('sha256');
            let received = 0;
            res.on('data', (chunk: Buffer) => {
              hash.update(chunk);
              received += chunk.length;
              if (aborts && received >= 256 * 1024) {
                res.destroy();
                resolve();
                return;
              }
              if (slow) {
                res.pause();
                setTimeout(() => res.resume(), 1);
              }
            });
            res.on('end', () => {
              try {
                assert.equal(res.statusCode, 200);
                assert.equal(received, size, `seed ${seed}: length`);
                assert.equal(hash.digest('hex'), expected, `seed ${seed}: body differs from what the server sent`);
                resolve();
              } catch (error) {
                reject(error);
              }
            });
            res.on('error', (error) => (aborts ? resolve() : reject(error)));
          })
            .on('error', (error) => (aborts ? resolve() : reject(error)))
            .end();
        }),
      );
    }
    try {
      await Promise.all(requests);
    } finally {
      agent.destroy();
    }
    // The large chunks went through lent buffers, and they came back for reuse (the proxy runs
    // in this process, so its free list is visible here).
    assert.ok(freeLeases() > 0, 'no lent buffer came back');
    // And the proxy still answers after the clients that went away.
    const after = await send(`${proxy.url}/r?seed=7&size=70000&chunked=0&pieces=2`);
    assert.ok(after.body.equals(pattern(7, 70000)));
  });
});
