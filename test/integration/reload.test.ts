import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function config(servers: Backend[], extra: Record<string, unknown> = {}) {
  return {
    http: {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' }, ...extra },
      services: { app: { loadBalancer: { servers: servers.map((s) => ({ url: s.url })) } } },
    },
  };
}

describe('hot reload', () => {
  let a: Backend;
  let b: Backend;
  let slow: Backend;
  let proxy: TestProxy;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('slow done'), 400);
    });
    proxy = await startProxy(config([a]));
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([a.close(), b.close(), slow.close()]);
  });

  it('picks up a saved file within a second, keeping client keep-alive connections', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await sendJson(`${proxy.url}/x`, { agent });
    assert.equal(first.json.backend, 'a');
    const started = Date.now();
    await proxy.update(config([b]));
    assert.ok(Date.now() - started < 1000, 'reload took more than a second');
    const second = await sendJson(`${proxy.url}/x`, { agent });
    assert.equal(second.json.backend, 'b');
    // One socket served both requests: the swap did not close the client's connection.
    assert.equal(second.response.headers.connection, 'keep-alive');
    agent.destroy();
  });

  it('lets a request in flight finish on the table it started with', async () => {
    await proxy.update(config([slow]));
    const hitsBefore = slow.hits;
    const inFlight = send(`${proxy.url}/slow`);
    // The swap must happen while the request is on the slow server.
    await waitFor(() => slow.hits > hitsBefore, { what: 'the request to reach the slow server' });
    await proxy.update(config([a]));
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.equal(response.text, 'slow done');
    assert.equal((await sendJson(`${proxy.url}/after`)).json.backend, 'a');
  });

  it('forgets the state of a server once no configuration lists it', async () => {
    await proxy.update(config([a, b]));
    await send(`${proxy.url}/one`);
    await send(`${proxy.url}/two`);
    assert.ok(proxy.app.upstreams.peek(b.url), 'b has state while it is configured');
    await proxy.update(config([a]));
    assert.equal(proxy.app.upstreams.peek(b.url), undefined, 'b is forgotten once it left');
    assert.ok(proxy.app.upstreams.peek(a.url), 'a keeps its state');
  });

  it('keeps serving the last good configuration when the file breaks, and reports it', async () => {
    await proxy.update(config([a]));
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeFile(join(proxy.dir, 'dynamic.yml'), 'http:\n  routers: [unclosed\n');
    const failure = await waitFor(() => proxy.app.watcher.failures.get('file'), {
      what: 'the broken file to be reported',
    });
    assert.match(failure.location ?? '', /dynamic\.yml:\d+:\d+/);
    assert.equal((await sendJson(`${proxy.url}/still`)).json.backend, 'a');
  });

  it('disables only the router with a bad rule and keeps routing the others', async () => {
    await proxy.update(config([a], { broken: { rule: 'Path(`/x`) &&', service: 'app', priority: 100 } }));
    const broken = proxy.app.runtime.routers.get('broken@file');
    assert.equal(broken?.status, 'disabled');
    assert.match(broken?.errors[0] ?? '', /position/);
    assert.equal((await sendJson(`${proxy.url}/x`)).json.backend, 'a');
  });
});

describe('providersThrottleDuration', () => {
  it('applies a change no sooner than the configured interval', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const proxy = await startProxy(config([a]), ['--providers.providersThrottleDuration=700ms']);
    try {
      const before = proxy.app.reloads;
      const started = Date.now();
      await proxy.update(config([a, b]));
      const elapsed = Date.now() - started;
      // Unset, a change is applied within ~50 ms (the first test of this file relies on it).
      assert.ok(elapsed >= 650, `applied after ${elapsed} ms, before the 700 ms interval`);
      assert.equal(proxy.app.reloads, before + 1);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add((await sendJson(`${proxy.url}/x`)).json.backend as string);
      assert.deepEqual([...seen].sort(), ['a', 'b']);
    } finally {
      await proxy.stop();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
