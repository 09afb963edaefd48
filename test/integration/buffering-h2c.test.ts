/**
 * The buffering middleware in front of an HTTP/2 server: the body it kept (in memory or in its
 * temporary file) is what the HTTP/2 forwarding engine sends, not the client's spent stream.
 */
import assert from 'node:assert/strict';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('buffering before an h2c:// server', () => {
  let server: Http2Server;
  let proxy: TestProxy;

  before(async () => {
    server = createServer((req, res) => {
      let length = 0;
      let sum = 0;
      req.on('data', (chunk: Buffer) => {
        length += chunk.length;
        for (const byte of chunk) sum = (sum + byte) % 65521;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ length, sum, contentLength: req.headers['content-length'] ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    proxy = await startProxy({
      http: {
        routers: { spill: { rule: 'PathPrefix(`/`)', service: 'h2', middlewares: ['spill'] } },
        middlewares: { spill: { buffering: { memRequestBodyBytes: 1024 } } },
        services: { h2: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${port}` }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the spilled body whole, with its length', async () => {
    const body = Buffer.alloc(200_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    const expected = body.reduce((a, b) => (a + b) % 65521, 0);
    for (const chunked of [false, true]) {
      const response = await send(`${proxy.url}/upload`, {
        method: 'POST',
        headers: chunked ? { 'transfer-encoding': 'chunked' } : {},
        body,
      });
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.text), {
        length: body.length,
        sum: expected,
        contentLength: String(body.length),
      });
    }
  });
});
