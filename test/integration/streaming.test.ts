import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { type Backend, startBackend } from '../helpers/backends.js';
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
