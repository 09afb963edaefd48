import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** A backend in its own process, so it can be killed for real. */
interface ChildBackend {
  name: string;
  url: string;
  child: ChildProcess;
}

const CHILD = `
const http = require('node:http');
const name = process.argv[1];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
    res.end(JSON.stringify({ backend: name, at: Date.now() }));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function spawnBackend(name: string): Promise<ChildBackend> {
  const child = spawn(process.execPath, ['-e', CHILD, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
  });
  return { name, url: `http://127.0.0.1:${port}`, child };
}

/** Outcome of a bounded request loop. */
interface LoadResult {
  sent: number;
  failed: number;
  statuses: Map<number | string, number>;
  byBackend: Map<string, number>;
}

/**
 * Sends `total` GETs with `concurrency` keep-alive workers; `during(i)` runs once when request i
 * is about to be sent (to inject a fault mid-load).
 */
async function load(
  url: string,
  total: number,
  concurrency: number,
  faults: Map<number, () => unknown>,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { sent: 0, failed: 0, statuses: new Map(), byBackend: new Map() };
  const pending: unknown[] = [];
  const worker = async () => {
    while (result.sent < total) {
      const i = result.sent++;
      const fault = faults.get(i);
      if (fault !== undefined) pending.push(fault());
      let key: number | string;
      try {
        const response = await send(url, { agent });
        key = response.status;
        const backend = String(response.headers['x-backend']);
        result.byBackend.set(backend, (result.byBackend.get(backend) ?? 0) + 1);
      } catch (error) {
        key = (error as NodeJS.ErrnoException).code ?? 'error';
      }
      if (key !== 200) result.failed++;
      result.statuses.set(key, (result.statuses.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all(pending);
  agent.destroy();
  return result;
}

describe('faults under load', () => {
  let children: ChildBackend[] = [];
  let proxy: TestProxy;

  const config = (urls: string[]) => ({
    http: {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 's', middlewares: ['retry'] } },
      middlewares: { retry: { retry: { attempts: 3, initialInterval: '10ms' } } },
      services: { s: { loadBalancer: { servers: urls.map((url) => ({ url })) } } },
    },
  });

  before(async () => {
    children = await Promise.all(['k1', 'k2', 'k3'].map(spawnBackend));
    proxy = await startProxy(config(children.map((c) => c.url)));
  });

  after(async () => {
    await proxy.stop();
    for (const c of children) c.child.kill('SIGKILL');
  });

  it('fails no client request when one of three backends is SIGKILLed during 5,000 GETs with retry on', async () => {
    const victim = children[0]!;
    const result = await load(proxy.url, 5000, 20, new Map([[1500, () => victim.child.kill('SIGKILL')]]));
    assert.equal(result.sent, 5000);
    assert.equal(result.failed, 0, `statuses: ${JSON.stringify([...result.statuses])}`);
    // The victim served until it died, and the others took over.
    assert.ok((result.byBackend.get('k1') ?? 0) < 1500, JSON.stringify([...result.byBackend]));
    assert.ok((result.byBackend.get('k2') ?? 0) > 1500 && (result.byBackend.get('k3') ?? 0) > 1500);
  });
});

/** One catch-all router to one load-balanced service over `urls`. */
const config = (urls: string[]) => ({
  http: {
    routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
    services: { s: { loadBalancer: { servers: urls.map((url) => ({ url })) } } },
  },
});

describe('servers leaving the configuration', () => {
  let backends: Backend[];
  let proxy: TestProxy;

  before(async () => {
    backends = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        startBackend(name, (req, res, backend) => {
          // A little latency so requests are in flight on the removed server at the swap.
          setTimeout(() => {
            res.writeHead(200, { 'x-backend': backend.name });
            res.end(req.url);
          }, 5);
        }),
      ),
    );
    proxy = await startProxy(config(backends.map((b) => b.url)));
  });

  after(async () => {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('fails no request when a server is removed from the file during load, and closes its pooled connections', async () => {
    const removed = backends[2]!;
    // Counted when the proxy dispatches, not when the backend receives: a request sent just before
    // the swap may still be on the wire when the swap completes, and that is fine.
    let state: { requests: number } | undefined;
    let dispatchedAtRemoval = 0;
    const result = await load(
      proxy.url,
      3000,
      20,
      new Map([
        [
          1000,
          async () => {
            state = proxy.app.upstreams.peek(removed.url);
            await proxy.update(config(backends.slice(0, 2).map((b) => b.url)));
            dispatchedAtRemoval = state?.requests ?? 0;
          },
        ],
      ]),
    );
    assert.equal(result.failed, 0, `statuses: ${JSON.stringify([...result.statuses])}`);
    assert.ok(dispatchedAtRemoval > 0);
    assert.equal(state?.requests, dispatchedAtRemoval, 'the removed server got requests after the reload');
    await waitFor(() => removed.openConnections() === 0, { what: 'pooled connections to the removed server to close' });
    assert.ok(backends[0]!.openConnections() > 0, 'connections to kept servers stay pooled');
  });

  it('lets a request in flight on a removed server finish', async () => {
    const slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('finished'), 400);
    });
    await proxy.update(config([slow.url]));
    const pending = send(proxy.url);
    await waitFor(() => slow.hits === 1, { what: 'the request to reach the slow server' });
    await proxy.update(config([backends[0]!.url]));
    const response = await pending;
    assert.equal(response.status, 200);
    assert.equal(response.text, 'finished');
    await waitFor(() => slow.openConnections() === 0, { what: 'the drained server to be disconnected' });
    await slow.close();
  });
});

/**
 * A server whose address no longer answers connections, like a stopped container's IP (its SYNs
 * are dropped): a process listening with a backlog of 1, frozen with SIGSTOP, its accept queue
 * filled by the test. A dial to it stays pending until something gives up on it.
 */
const FROZEN = `
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n');
  process.kill(process.pid, 'SIGSTOP');
});
`;

/** Whether a TCP dial to `port` connects within `ms`. */
function dials(port: number, ms: number): Promise<{ connected: boolean; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ connected: false, socket }), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ connected: true, socket });
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve({ connected: false, socket });
    });
  });
}

describe('a server whose address stops answering while it leaves', () => {
  let child: ChildProcess;
  let frozenUrl: string;
  const fillers: Socket[] = [];
  let healthy: Backend;
  let proxy: TestProxy;

  before(async () => {
    child = spawn(process.execPath, ['-e', FROZEN], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.stdout?.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    });
    frozenUrl = `http://127.0.0.1:${port}`;
    // Fill the accept queue until a dial stays pending: from then on the kernel drops new SYNs.
    let connected = true;
    for (let i = 0; i < 16 && connected; i++) {
      const dial = await dials(port, 200);
      fillers.push(dial.socket);
      connected = dial.connected;
    }
    assert.equal(connected, false, 'could not make the address stop answering');
    healthy = await startBackend('healthy');
    proxy = await startProxy(config([frozenUrl, healthy.url]));
  });

  after(async () => {
    await proxy.stop(0);
    for (const socket of fillers) socket.destroy();
    child.kill('SIGKILL');
    await healthy.close();
  });

  it('moves a request still dialing that server to another one as soon as it leaves, not after the grace period', async () => {
    const frozen = proxy.app.upstreams.get(frozenUrl);
    // Round robin: of two requests, one dials the frozen server and stays there.
    const pending = [send(proxy.url), send(proxy.url)];
    await waitFor(() => frozen.inFlight === 1, { timeout: 2000, what: 'a request dialing the frozen server' });
    const removedAt = Date.now();
    await proxy.update(config([healthy.url]));
    const responses = await Promise.all(pending);
    const waited = Date.now() - removedAt;
    for (const response of responses) {
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-backend'], 'healthy');
    }
    // The grace period is 10 s and the dial timeout 30 s: the dial was abandoned instead.
    assert.ok(waited < 5000, `answered ${waited} ms after the server left`);
    assert.equal(frozen.inFlight, 0);
  });
});

describe('a backend that hangs', () => {
  let hanging: Backend;
  let healthy: Backend;
  let proxy: TestProxy;

  before(async () => {
    hanging = await startBackend('hanging', () => {
      // Never answers.
    });
    healthy = await startBackend('healthy');
    proxy = await startProxy({
      http: {
        routers: {
          mixed: { rule: 'Path(`/mixed`)', service: 'mixed' },
          other: { rule: 'Path(`/other`)', service: 'other' },
        },
        services: {
          mixed: { loadBalancer: { servers: [{ url: hanging.url }, { url: healthy.url }], serversTransport: 'quick' } },
          other: { loadBalancer: { servers: [{ url: healthy.url }] } },
        },
        serversTransports: { quick: { forwardingTimeouts: { responseHeaderTimeout: '300ms' } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([hanging.close(), healthy.close()]);
  });

  it('answers 504 within the timeout while the other server and other services answer at once', async () => {
    const started = Date.now();
    const timed = (path: string) =>
      send(`${proxy.url}${path}`).then((r) => ({ status: r.status, ms: Date.now() - started }));
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => timed('/mixed')),
      ...Array.from({ length: 6 }, () => timed('/other')),
    ]);
    const timeouts = results.filter((r) => r.status === 504);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(timeouts.length, 3, JSON.stringify(results));
    assert.equal(ok.length, 9);
    for (const r of timeouts) assert.ok(r.ms >= 280 && r.ms < 1500, `504 after ${r.ms} ms`);
    for (const r of ok) assert.ok(r.ms < 250, `200 after ${r.ms} ms`);
  });
});
