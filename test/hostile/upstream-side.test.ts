/**
 * Broken and hostile upstreams: a raw `net` server answers a GET through the proxy with scripted
 * bytes, while other requests run through the same proxy to a healthy backend. The proxy runs in
 * a child process: an answer that crashes it fails that case (and the next case gets a new one).
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { type RawUpstream, startRawUpstream } from '../helpers/hostile-servers.js';
import { send, waitFor } from '../helpers/http.js';
import { describeExchange, headerOf, type RawExchange, rawExchange } from '../helpers/raw-socket.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

/** How the client's response must look. */
type Outcome =
  /** A complete 502 from the proxy. */
  | '502'
  /** Cut: the connection ends without a complete successful response (the client can tell). */
  | 'cut'
  /** A complete 200 whose headers pass `check`. */
  | { ok: (exchange: RawExchange) => void };

interface UpstreamCase {
  name: string;
  /** What the upstream writes once it has the request head. */
  answer: (socket: Socket) => void;
  outcome: Outcome;
  /** Extra checks once the case ran (the upstream's view). */
  after?: (upstream: RawUpstream, id: string) => Promise<void> | void;
}

const ok = (extra = '') => `HTTP/1.1 200 OK\r\n${extra}Content-Length: 2\r\n\r\nok`;
const write = (bytes: string | Buffer) => (socket: Socket) => {
  socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
};
const writeAndClose = (bytes: string) => (socket: Socket) => {
  socket.end(Buffer.from(bytes, 'latin1'));
};

function badHeaderValues(): UpstreamCase[] {
  const bytes: Array<[string, string]> = [
    ['a bare LF', '\n'],
    ['a bare CR', '\r'],
    ['NUL', '\0'],
    ...[1, 8, 0x0b, 0x0c, 0x0e, 0x1f, 0x7f].map((code): [string, string] => [
      `the control character 0x${code.toString(16).padStart(2, '0').toUpperCase()}`,
      String.fromCharCode(code),
    ]),
  ];
  return bytes.map(([what, byte]) => ({
    name: `answers 502 for a response header value containing ${what}, and stays up`,
    answer: write(ok(`X-Bad: a${byte}X-Injected: 1\r\n`)),
    outcome: '502',
  }));
}

function badHeaderNames(): UpstreamCase[] {
  const names: Array<[string, string]> = [
    ['a space', 'X Bad'],
    ['"("', 'X(Bad'],
    ['"@"', 'X@Bad'],
    ['a double quote', 'X"Bad'],
    ['a non-ASCII byte', 'X-B\xe9d'],
  ];
  return names.map(([what, name]) => ({
    name: `answers 502 for a response header name containing ${what}, and stays up`,
    answer: write(ok(`${name}: 1\r\n`)),
    outcome: '502',
  }));
}

function badStatusLines(): UpstreamCase[] {
  const lines: Array<[string, string]> = [
    ['a bare LF in the reason phrase', 'HTTP/1.1 200 O\nK'],
    ['a control character in the reason phrase', 'HTTP/1.1 200 O\x01K'],
    ['a NUL in the reason phrase', 'HTTP/1.1 200 O\0K'],
    ['a two-digit status', 'HTTP/1.1 20 OK'],
    ['a four-digit status', 'HTTP/1.1 2000 OK'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK'],
  ];
  return lines.map(([what, line]) => ({
    name: `answers 502 for a status line with ${what}, and stays up`,
    answer: write(`${line}\r\nContent-Length: 2\r\n\r\nok`),
    outcome: '502',
  }));
}

function hopByHop(): UpstreamCase[] {
  const cases: Array<[string, string, string]> = [
    ['a header named by Connection', 'Connection: X-Secret\r\nX-Secret: 1\r\n', 'x-secret'],
    ['Keep-Alive', 'Keep-Alive: timeout=5\r\n', 'keep-alive'],
    ['Proxy-Authenticate', 'Proxy-Authenticate: Basic\r\n', 'proxy-authenticate'],
    ['Proxy-Connection', 'Proxy-Connection: keep-alive\r\n', 'proxy-connection'],
    ['Upgrade on a 200', 'Upgrade: foo\r\n', 'upgrade'],
  ];
  return cases.map(([what, lines, header]) => ({
    name: `does not relay ${what} to the client`,
    answer: write(ok(lines)),
    outcome: {
      ok: (exchange) => {
        const response = exchange.finals[0];
        assert.ok(response);
        assert.equal(headerOf(response, header), undefined, `${header} reached the client`);
        assert.equal(response.body.toString(), 'ok');
      },
    },
  }));
}

function framing(): UpstreamCase[] {
  return [
    {
      name: 'answers 502 for 100 Continue followed by garbage',
      answer: write('HTTP/1.1 100 Continue\r\n\r\nGARBAGE\r\n\r\n'),
      outcome: '502',
    },
    {
      name: 'answers 502 for 103 Early Hints followed by garbage',
      answer: write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nNOT HTTP\r\n\r\n'),
      outcome: '502',
    },
    {
      name: 'answers 502 for two conflicting Content-Length headers',
      answer: write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!'),
      outcome: '502',
    },
    {
      name: 'relays Content-Length + chunked as chunked, without the Content-Length, and does not reuse the connection',
      answer: write(
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      ),
      outcome: {
        ok: (exchange) => {
          const response = exchange.finals[0];
          assert.ok(response);
          assert.equal(response.body.toString(), 'hello');
          assert.equal(headerOf(response, 'content-length'), undefined, 'Content-Length was relayed');
        },
      },
      after: async (upstream, id) => {
        // Another request to the same upstream must come on a new connection.
        const next = await rawExchange(proxyPort(), getRequest(`/raw/${id}-next`));
        assert.equal(next.finals[0]?.status, 200, describeExchange(next));
        const first = upstream.heads.find((h) => h.path === `/raw/${id}`);
        const second = upstream.heads.find((h) => h.path === `/raw/${id}-next`);
        assert.ok(first && second && first.connection !== second.connection, 'the connection was reused');
      },
    },
    {
      name: 'answers 502 when the upstream closes before sending a head',
      answer: (socket) => socket.destroy(),
      outcome: '502',
    },
    {
      name: 'cuts the client off when the upstream closes before the Content-Length is reached',
      answer: writeAndClose('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b'),
      outcome: 'cut',
    },
    {
      name: 'answers 502 for a 100 KB header line',
      answer: write(ok(`X-Huge: ${'h'.repeat(100 * 1024)}\r\n`)),
      outcome: '502',
    },
    {
      name: 'answers 502 for 5,000 headers',
      answer: write(ok('a:1\r\n'.repeat(5000))),
      outcome: '502',
    },
    {
      name: 'cuts the client off on chunk-size garbage after the head',
      answer: write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n'),
      outcome: 'cut',
    },
  ];
}

const cases = [...badHeaderValues(), ...badHeaderNames(), ...badStatusLines(), ...hopByHop(), ...framing()];

let currentProxy: ChildProxy;
const proxyPort = () => currentProxy.port;
const getRequest = (path: string) => `GET ${path} HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n`;

describe('hostile upstreams', () => {
  let healthy: Backend;
  let upstream: RawUpstream;
  const BIG = 'b'.repeat(64 * 1024);
  let slowArrivals = 0;

  before(async () => {
    healthy = await startBackend('healthy', (req, res) => {
      req.resume();
      const slow = req.url?.startsWith('/slow');
      if (slow) slowArrivals++;
      setTimeout(() => res.end(slow ? BIG : 'fine'), slow ? 150 : 0);
    });
    const scripts = new Map(cases.map((c, i) => [`/raw/${i}`, c.answer]));
    upstream = await startRawUpstream((path, socket) => {
      const script = scripts.get(path);
      if (script !== undefined) script(socket);
      else socket.write(ok());
    });
    currentProxy = await startChildProxy({
      http: {
        routers: {
          raw: { rule: 'PathPrefix(`/raw`)', service: 'raw' },
          healthy: { rule: 'PathPrefix(`/`)', service: 'healthy' },
        },
        services: {
          raw: { loadBalancer: { servers: [{ url: upstream.url }] } },
          healthy: { loadBalancer: { servers: [{ url: healthy.url }] } },
        },
      },
    });
  });

  after(async () => {
    await currentProxy?.stop();
    await Promise.all([healthy.close(), upstream.close()]);
  });

  cases.forEach((c, i) => {
    it(c.name, { timeout: 15_000 }, async () => {
      const proxy = currentProxy;
      await freshIfCrashed(proxy);
      // Requests to a healthy backend in flight at the same time must complete intact.
      const arrivedBefore = slowArrivals;
      const others = Array.from({ length: 3 }, () =>
        send(`${proxy.url}/slow`).then(
          (r) => `${r.status} ${r.body.length}`,
          (error: Error) => `failed: ${error.message}`,
        ),
      );
      await waitFor(() => slowArrivals >= arrivedBefore + 3, {
        timeout: 3000,
        interval: 5,
        what: 'the 3 /slow requests to reach the backend',
      });
      const exchange = await rawExchange(proxy.port, getRequest(`/raw/${i}`), { timeout: 4000 });
      // A crash shows as a closed connection first: give the exit a moment to be reported.
      if (exchange.finals.length === 0) await waitFor(() => !proxy.alive(), { timeout: 300 }).catch(() => undefined);
      const story = `client got: ${describeExchange(exchange)}${proxy.alive() ? '' : `; ${proxy.death()}`}`;
      const outcome = c.outcome;
      if (outcome === '502') {
        assert.equal(exchange.finals.length, 1, story);
        assert.equal(exchange.finals[0]?.status, 502, story);
        assert.ok(exchange.finals[0]?.complete, story);
      } else if (outcome === 'cut') {
        assert.ok(exchange.closed, `the connection stayed open; ${story}`);
        const clean = exchange.finals.find((r) => r.complete && r.status < 300);
        assert.equal(clean, undefined, `the client cannot tell the response was cut; ${story}`);
        assert.ok(proxy.alive(), story);
      } else {
        assert.equal(exchange.finals[0]?.status, 200, story);
        assert.ok(exchange.finals[0]?.complete, story);
        outcome.ok(exchange);
      }
      assert.deepEqual(await Promise.all(others), ['200 65536', '200 65536', '200 65536'], `other requests; ${story}`);
      await c.after?.(upstream, String(i));
      await assertProxyHealthy(proxy);
    });
  });
});
