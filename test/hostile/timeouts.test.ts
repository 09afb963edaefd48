/**
 * Stalled upstreams and slow clients: every timeout fires within about a second of its setting.
 * The cases of each proxy run concurrently (they wait on timers, not on the CPU).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { type RawUpstream, startRawUpstream } from '../helpers/hostile-servers.js';
import { describeExchange, type RawExchange, rawExchange, type Step } from '../helpers/raw-socket.js';
import { assertProxyHealthy } from './common.js';

const get = (path: string, close = true) =>
  `GET ${path} HTTP/1.1\r\nHost: h.test\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/** Writes `text` one byte every `every` ms. */
function trickle(text: string, every: number): Step[] {
  return [...text].flatMap((byte) => [{ pause: every }, byte]);
}

function within(exchange: RawExchange, min: number, max: number, what: string): void {
  const story = `${what}: ${describeExchange(exchange)} after ${exchange.ms} ms`;
  assert.ok(exchange.closed, `the connection was still open after ${exchange.ms} ms; ${story}`);
  assert.ok(exchange.ms >= min && exchange.ms <= max, `expected between ${min} and ${max} ms; ${story}`);
}

/** Upstream scripts: `/stall/none` sends nothing, `/stall/body` sends a head and 10 of 100 body bytes. */
async function stallingUpstream(): Promise<RawUpstream> {
  return startRawUpstream((path, socket) => {
    if (path.startsWith('/stall/body')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b');
    else if (!path.startsWith('/stall/none')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
}

function config(upstream: RawUpstream, backend: Backend): object {
  return {
    http: {
      routers: {
        stall: { rule: 'PathPrefix(`/stall`)', service: 'stall' },
        rest: { rule: 'PathPrefix(`/`)', service: 'rest' },
      },
      services: {
        stall: { loadBalancer: { servers: [{ url: upstream.url }] } },
        rest: { loadBalancer: { servers: [{ url: backend.url }] } },
      },
    },
  };
}

/**
 * A proxy in front of the stalling upstream and a plain backend, whose cases run concurrently;
 * after them, a last case checks that the proxy still answers and holds no client socket.
 */
function timeoutSuite(
  title: string,
  flags: string[],
  cases: Array<[name: string, run: (proxy: ChildProxy) => Promise<void>]>,
): void {
  describe(title, { concurrency: true }, () => {
    let upstream: RawUpstream;
    let backend: Backend;
    let proxy: ChildProxy | undefined;
    // One deferred per case, settled when that case's run settles: the last case waits for all of them.
    const finished = cases.map(() => {
      let settle = (): void => undefined;
      const settled = new Promise<void>((resolve) => {
        settle = resolve;
      });
      return { settled, settle };
    });

    before(async () => {
      upstream = await stallingUpstream();
      backend = await startBackend('rest', (req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      });
      proxy = await startChildProxy(config(upstream, backend), flags);
    });

    after(async () => {
      await proxy?.stop();
      await Promise.all([upstream.close(), backend.close()]);
    });

    cases.forEach(([name, run], i) => {
      it(name, { timeout: 12_000 }, () => {
        const done = run(proxy as ChildProxy);
        void done.then(finished[i].settle, finished[i].settle);
        return done;
      });
    });

    it('is healthy afterwards, with no leaked client socket', { timeout: 15_000 }, async () => {
      await Promise.all(finished.map((f) => f.settled));
      await assertProxyHealthy(proxy as ChildProxy);
    });
  });
}

timeoutSuite(
  'slow clients (--entryPoints.web.transport.respondingTimeouts.readTimeout=2s, idleTimeout=2s)',
  [
    '--entryPoints.web.transport.respondingTimeouts.readTimeout=2s',
    '--entryPoints.web.transport.respondingTimeouts.idleTimeout=2s',
  ],
  [
    [
      'cuts a client that sends its headers a byte at a time within 2-4 s (408 or closed)',
      async (proxy) => {
        const steps = ['GET /slow HTTP/1.1\r\nHost: h.test\r\n', ...trickle(`X-Slow: ${'s'.repeat(40)}\r\n\r\n`, 250)];
        const exchange = await rawExchange(proxy.port, steps, { timeout: 7000 });
        within(exchange, 1500, 4000, 'slow headers');
        for (const r of exchange.responses) assert.equal(r.status, 408, describeExchange(exchange));
      },
    ],
    [
      'cuts a client that sends its body a byte at a time within 2-4 s',
      async (proxy) => {
        const head = 'POST /slow HTTP/1.1\r\nHost: h.test\r\nContent-Length: 40\r\n\r\n';
        const exchange = await rawExchange(proxy.port, [head, ...trickle('b'.repeat(40), 250)], { timeout: 7000 });
        within(exchange, 1500, 4000, 'slow body');
        assert.ok(!exchange.finals.some((r) => r.status < 300), describeExchange(exchange));
      },
    ],
    [
      'closes an idle keep-alive client connection within about 3 s',
      async (proxy) => {
        const exchange = await rawExchange(proxy.port, get('/idle', false), { timeout: 6000 });
        assert.equal(exchange.finals[0]?.status, 200, describeExchange(exchange));
        within(exchange, 1500, 4500, 'idle keep-alive connection');
      },
    ],
  ],
);

timeoutSuite(
  'an upstream that never answers (--serversTransport.forwardingTimeouts.responseHeaderTimeout=1s)',
  ['--serversTransport.forwardingTimeouts.responseHeaderTimeout=1s'],
  [
    [
      'answers 504 about 1 s after the request',
      async (proxy) => {
        const exchange = await rawExchange(proxy.port, get('/stall/none'), { timeout: 5000 });
        within(exchange, 800, 2500, 'never-answering upstream');
        assert.equal(exchange.finals[0]?.status, 504, describeExchange(exchange));
      },
    ],
  ],
);

timeoutSuite(
  'the upstream read timeout (--serversTransport.forwardingTimeouts.readTimeout=1s)',
  ['--serversTransport.forwardingTimeouts.readTimeout=1s'],
  [
    [
      'cuts the response of an upstream that stops mid-body after about 1 s (within 5 s)',
      async (proxy) => {
        const exchange = await rawExchange(proxy.port, get('/stall/body'), { timeout: 6000 });
        within(exchange, 800, 5000, 'upstream stalled mid-body');
        assert.ok(!exchange.finals.some((r) => r.complete && r.status < 300), describeExchange(exchange));
      },
    ],
    [
      'answers 504 for an upstream that accepts and sends nothing (no responseHeaderTimeout set)',
      async (proxy) => {
        const exchange = await rawExchange(proxy.port, get('/stall/none'), { timeout: 6000 });
        within(exchange, 800, 5000, 'silent upstream');
        assert.equal(exchange.finals[0]?.status, 504, describeExchange(exchange));
      },
    ],
  ],
);
