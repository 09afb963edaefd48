import assert from 'node:assert/strict';
import { type ClientRequest, get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { StatsEvent } from '../../src/metrics/live-stats.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** A Server-Sent Events client that keeps every event it receives. */
function openStream(
  url: string,
): Promise<{ events: Array<{ event: string; data: unknown }>; response: IncomingMessage; request: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const events: Array<{ event: string; data: unknown }> = [];
    const request = get(url, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      });
      response.on('error', () => undefined);
      resolve({ events, response, request });
    });
    request.on('error', reject);
  });
}

function config(servers: Backend[]) {
  return {
    http: {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
      services: { app: { loadBalancer: { servers: servers.map((s) => ({ url: s.url })) } } },
    },
  };
}

describe('live statistics', () => {
  let a: Backend;
  let b: Backend;
  let proxy: TestProxy;
  let api: string;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    proxy = await startProxy(config([a, b]), ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true']);
    api = `http://127.0.0.1:${proxy.app.entryPoints.get('traefik')?.port}`;
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([a.close(), b.close()]);
  });

  it('streams a stats event showing the traffic of both servers of a service after 200 requests', async () => {
    const stream = await openStream(`${api}/api/live`);
    try {
      assert.equal(stream.response.statusCode, 200);
      assert.match(String(stream.response.headers['content-type']), /^text\/event-stream/);
      await waitFor(() => stream.events.some((e) => e.event === 'config'), { what: 'the initial config event' });
      for (let i = 0; i < 20; i++) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => send(`${proxy.url}/items/${i * 10 + j}?q=1`)));
      }
      const event = (await waitFor(
        () =>
          stream.events.find((e) => {
            const data = e.data as StatsEvent;
            return e.event === 'stats' && data.services['app@file']?.requests === 200;
          })?.data,
        { timeout: 5000, what: 'a stats event counting 200 requests' },
      )) as StatsEvent;
      const servers = [event.servers[a.url], event.servers[b.url]];
      for (const server of servers) {
        assert.ok(server, 'both servers are listed');
        assert.equal(server.service, 'app@file');
        assert.equal(server.health, 'UP');
        assert.ok(server.requests > 0, 'each server served some requests');
        assert.equal(server.status['2xx'], server.requests);
        assert.ok(server.p50 !== null && server.p50 > 0);
      }
      assert.equal((servers[0]?.requests ?? 0) + (servers[1]?.requests ?? 0), 200);
      assert.equal(event.routers['app@file']?.requests, 200);
      assert.ok((event.routers['app@file']?.bytesOut ?? 0) > 200 * 100, 'responses were counted in bytes');
      assert.equal(event.entryPoints.web?.requests, 200);
      assert.ok(event.services['app@file']?.p99 !== null);
      assert.equal(Object.keys(event.routers).filter((name) => name.endsWith('@internal')).length, 0);
      const recent = stream.events.filter((e) => e.event === 'stats').flatMap((e) => (e.data as StatsEvent).recent);
      assert.ok(recent.length > 0 && recent.length <= 200);
      for (const event of stream.events.filter((e) => e.event === 'stats')) {
        assert.ok((event.data as StatsEvent).recent.length <= 50, 'at most 50 recent requests per event');
      }
      const one = recent[recent.length - 1];
      assert.equal(one?.method, 'GET');
      assert.match(one?.path ?? '', /^\/items\/\d+$/, 'the query is left out');
      assert.equal(one?.router, 'app@file');
      assert.equal(one?.service, 'app@file');
      assert.ok(one?.server === a.url || one?.server === b.url);
      assert.equal(one?.status, 200);
      assert.ok(!Number.isNaN(Date.parse(one?.time ?? '')));
    } finally {
      stream.request.destroy();
    }
  });

  it('sends a config event after a reload', async () => {
    const stream = await openStream(`${api}/api/live`);
    try {
      await waitFor(() => stream.events.some((e) => e.event === 'config'));
      const before = stream.events.length;
      await proxy.update({
        http: {
          ...config([a, b]).http,
          routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' }, other: { rule: 'Path(`/o`)', service: 'app' } },
        },
      });
      const event = (await waitFor(() => stream.events.slice(before).find((e) => e.event === 'config')?.data, {
        what: 'a config event after the reload',
      })) as { http: { routers: { total: number } } };
      assert.ok(event.http.routers.total >= 2);
    } finally {
      stream.request.destroy();
    }
  });

  it('forgets a client that disconnects', async () => {
    const traefik = proxy.app.entryPoints.get('traefik');
    assert.ok(traefik);
    const stream = await openStream(`${api}/api/live`);
    await waitFor(() => traefik.inFlight === 1, { what: 'the stream to count as in flight' });
    stream.request.destroy();
    await waitFor(() => traefik.inFlight === 0, { what: 'the stream to be released' });
  });

  it('answers /api/stats with the current figures and 5-minute per-second history', async () => {
    await send(`${proxy.url}/once`);
    const { status, json } = await sendJson<
      StatsEvent & { history: { step: number; services: Record<string, number[]>; servers: Record<string, number[]> } }
    >(`${api}/api/stats`);
    assert.equal(status, 200);
    assert.ok((json.services['app@file']?.requests ?? 0) >= 201);
    assert.equal(json.history.step, 1);
    const serviceHistory = await waitFor(
      async () =>
        (await sendJson<{ history: { services: Record<string, number[]> } }>(`${api}/api/stats`)).json.history.services[
          'app@file'
        ],
      { what: 'history for the service' },
    );
    assert.ok(serviceHistory.length >= 1 && serviceHistory.length <= 300);
    assert.ok(Array.isArray(json.history.servers[a.url]) || Array.isArray(json.history.servers[b.url]));
    assert.ok(json.recent.length <= 50);
  });

  it('streams a server event the moment a server leaves the rotation, without waiting for stats', async () => {
    const own = await startProxy(config([a, b]), ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true']);
    const stream = await openStream(`http://127.0.0.1:${own.app.entryPoints.get('traefik')?.port}/api/live`);
    try {
      await waitFor(() => stream.events.some((e) => e.event === 'config'), { what: 'the initial config event' });
      const start = stream.events.length;
      const drainedAt = Date.now();
      void own.app.drainer.drain(b.url);
      const event = await waitFor(() => stream.events.slice(start).find((e) => e.event === 'server'), {
        what: 'a server event',
      });
      const tookMs = Date.now() - drainedAt;
      assert.deepEqual(event.data, { url: b.url, health: 'DOWN', cause: 'draining' });
      // Stats go out once a second: at most the one already on its way may come first, and the
      // event must not wait for a tick of its own.
      const since = stream.events.slice(start);
      const ticks = since.slice(0, since.indexOf(event)).filter((e) => e.event === 'stats').length;
      assert.ok(ticks <= 1, `${ticks} stats ticks came before the server event`);
      assert.ok(tookMs < 1000, `the server event took ${tookMs} ms, a stats period`);
    } finally {
      stream.request.destroy();
      await own.stop();
    }
  });

  it('ends live streams when the proxy stops, so shutdown does not wait for them', async () => {
    const own = await startProxy(config([a]), ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true']);
    const url = `http://127.0.0.1:${own.app.entryPoints.get('traefik')?.port}/api/live`;
    const stream = await openStream(url);
    const ended = new Promise<void>((resolve) => stream.response.once('end', resolve).once('close', resolve));
    const started = Date.now();
    await own.stop(5000);
    await ended;
    assert.ok(Date.now() - started < 3000, `stop took ${Date.now() - started} ms`);
  });
});
