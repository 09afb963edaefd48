import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('upstream failures', () => {
  let hanging: Backend;
  let healthy: Backend;
  let dying: Backend;
  let cutting: Backend;
  let proxy: TestProxy;

  before(async () => {
    hanging = await startBackend('hanging', () => {
      // Never answers: the response header timeout must fire.
    });
    healthy = await startBackend('healthy');
    dying = await startBackend('dying', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    // Reads the request, then closes the connection without a word (a server shutting down).
    cutting = await startBackend('cutting', (req) => req.socket.destroy());
    const refused = await freePort();
    proxy = await startProxy({
      http: {
        routers: {
          refused: { rule: 'Path(`/refused`)', service: 'refused' },
          slow: { rule: 'Path(`/slow`)', service: 'slow' },
          ok: { rule: 'Path(`/ok`)', service: 'ok' },
          dying: { rule: 'Path(`/dying`)', service: 'dying' },
          half: { rule: 'Path(`/half`)', service: 'half' },
          cut: { rule: 'Path(`/cut`)', service: 'cut' },
        },
        services: {
          refused: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${refused}` }] } },
          slow: { loadBalancer: { servers: [{ url: hanging.url }], serversTransport: 'quick' } },
          ok: { loadBalancer: { servers: [{ url: healthy.url }] } },
          dying: { loadBalancer: { servers: [{ url: dying.url }] } },
          half: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${refused}` }, { url: healthy.url }] } },
          cut: { loadBalancer: { servers: [{ url: cutting.url }, { url: healthy.url }] } },
        },
        serversTransports: { quick: { forwardingTimeouts: { responseHeaderTimeout: '300ms' } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([hanging.close(), healthy.close(), dying.close(), cutting.close()]);
  });

  it('answers 502 Bad Gateway when the server refuses the connection', async () => {
    const response = await send(`${proxy.url}/refused`);
    assert.equal(response.status, 502);
    assert.equal(response.text, 'Bad Gateway\n');
  });

  it('sends a bodiless request to another server when one refuses the connection, without a retry middleware', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await send(`${proxy.url}/half`);
      assert.equal(response.status, 200, `request ${i} failed with ${response.status}`);
    }
  });

  it('does not replay a request whose body was already read when its server refuses', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 4; i++) {
      statuses.add((await send(`${proxy.url}/half`, { method: 'POST', body: 'payload' })).status);
    }
    assert.deepEqual([...statuses].sort(), [200, 502]);
  });

  it('sends an idempotent request to another server when one cuts the connection before answering', async () => {
    const before = cutting.hits;
    for (let i = 0; i < 10; i++) {
      const response = await send(`${proxy.url}/cut`);
      assert.equal(response.status, 200, `request ${i} failed with ${response.status}`);
    }
    assert.ok(cutting.hits > before, 'the cutting server was never tried');
  });

  it('answers 502 to a non-idempotent request whose connection was cut before the answer', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 4; i++) statuses.add((await send(`${proxy.url}/cut`, { method: 'PATCH' })).status);
    assert.deepEqual([...statuses].sort(), [200, 502]);
  });

  it('sends a bodiless PATCH with an Idempotency-Key to another server when one cuts the connection before answering', async () => {
    const before = cutting.hits;
    for (let i = 0; i < 6; i++) {
      const response = await send(`${proxy.url}/cut`, { method: 'PATCH', headers: { 'idempotency-key': `k${i}` } });
      assert.equal(response.status, 200, `request ${i} failed with ${response.status}`);
    }
    assert.ok(cutting.hits > before, 'the cutting server was never tried');
  });

  it('answers 504 when the server sends no headers within responseHeaderTimeout, and others are unaffected', async () => {
    const started = Date.now();
    const [slow, ok] = await Promise.all([send(`${proxy.url}/slow`), send(`${proxy.url}/ok`)]);
    assert.equal(slow.status, 504);
    assert.ok(Date.now() - started < 2000, 'the timeout fired late');
    assert.equal(ok.status, 200);
  });

  it('cuts the client off when the server dies mid-response, and keeps serving', async () => {
    await assert.rejects(send(`${proxy.url}/dying`), /aborted|socket hang up|ECONNRESET/);
    assert.equal((await send(`${proxy.url}/ok`)).status, 200);
  });

  it('stops the upstream request when the client goes away, leaving no upstream socket', async () => {
    const { request } = await import('node:http');
    const before = hanging.hits;
    const req = request(`${proxy.url}/slow`);
    req.on('error', () => undefined);
    req.end();
    await waitFor(() => hanging.hits > before, { what: 'the request to reach the backend' });
    assert.ok(hanging.openConnections() >= 1);
    req.destroy();
    await waitFor(() => hanging.openConnections() === 0, { what: 'the upstream socket to close' });
    const state = proxy.app.upstreams.peek(hanging.url);
    await waitFor(() => state?.inFlight === 0, { what: 'in-flight to drop to 0' });
  });

  it('answers 400 to a malformed request line and keeps serving', async () => {
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(proxy.port, '127.0.0.1', () => socket.write('GARBAGE / HTTP/9.9\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('close', () => resolve(data));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await send(`${proxy.url}/ok`)).status, 200);
  });

  it('answers 431 when the request headers are too large', async () => {
    const response = await send(`${proxy.url}/ok`, { headers: { 'x-big': 'x'.repeat(20_000) } });
    assert.equal(response.status, 431);
  });
});
