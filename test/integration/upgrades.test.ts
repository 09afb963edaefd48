/**
 * Upgrades go through the same client, timeouts and response rules as plain requests
 * (src/proxy/upgrade.ts): a tunnel outlives the read timeout, a silent server gets 504, a
 * declined upgrade carries the middlewares' headers, and closing either side closes the other.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { type Backend, startBackend } from '../helpers/backends.js';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** Resolves with the status of a refused upgrade, or rejects when the socket opened. */
function refusedStatus(url: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

describe('upgrades through the proxy', () => {
  let echo: Backend;
  let wss: WebSocketServer;
  let declining: Backend;
  let silent: Server;
  let silentPort = 0;
  let proxy: TestProxy;
  const serverSockets = new Set<WebSocket>();

  before(async () => {
    echo = await startBackend('ws', (_req, res) => res.end('plain'));
    wss = new WebSocketServer({ server: echo.server });
    wss.on('connection', (socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
      socket.on('message', (data) => socket.send(`echo:${data}`));
    });
    declining = await startBackend('declining', (_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('no websockets here');
    });
    // Accepts connections and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
    proxy = await startProxy(
      {
        http: {
          routers: {
            ws: { rule: 'PathPrefix(`/ws`)', service: 'ws' },
            declined: { rule: 'PathPrefix(`/declined`)', service: 'declining', middlewares: ['tag'] },
            silent: { rule: 'PathPrefix(`/silent`)', service: 'silent' },
          },
          middlewares: { tag: { headers: { customResponseHeaders: { 'x-tagged': 'yes' } } } },
          services: {
            ws: { loadBalancer: { servers: [{ url: echo.url }] } },
            declining: { loadBalancer: { servers: [{ url: declining.url }] } },
            silent: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${silentPort}` }] } },
          },
        },
      },
      ['--serversTransport.forwardingTimeouts.readTimeout=1s'],
    );
  });

  after(async () => {
    await proxy.stop();
    wss.close();
    await Promise.all([echo.close(), declining.close()]);
    silent.close();
  });

  it('keeps a tunnel open while it stays silent longer than the read timeout', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/idle`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));
    await new Promise((r) => setTimeout(r, 1600)); // longer than readTimeout on purpose
    socket.send('still there');
    await waitFor(() => replies.length === 1, { timeout: 3000, what: 'the echo after the silence' });
    assert.deepEqual(replies, ['echo:still there']);
    socket.close();
  });

  it('answers 504 when the server never answers the upgrade, as for a plain request', async () => {
    const started = Date.now();
    const { status } = await refusedStatus(`ws://127.0.0.1:${proxy.port}/silent`);
    assert.equal(status, 504);
    assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms`);
  });

  it("relays a declined upgrade with the middlewares' response headers", async () => {
    const { status, headers } = await refusedStatus(`ws://127.0.0.1:${proxy.port}/declined`);
    assert.equal(status, 403);
    assert.equal(headers['x-tagged'], 'yes');
  });

  it('closes the server side of the tunnel when the client leaves, and frees the in-flight count', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/leave`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await waitFor(() => serverSockets.size === 1, { what: 'the server side of the tunnel' });
    const state = proxy.app.upstreams.peek(echo.url);
    assert.equal(state?.inFlight, 1);
    socket.terminate();
    await waitFor(() => serverSockets.size === 0, { what: 'the server side to close' });
    await waitFor(() => state?.inFlight === 0, { what: 'the in-flight count to drop' });
  });
});
