/**
 * The client-side hostile corpus: requests sent as exact bytes to an entry point whose routers
 * are `PathPrefix(/admin)` → A and `PathPrefix(/)` → B (plus `Host(a.test)` → A and
 * `Host(admin.test)` → B for the absolute-form case, and `/h2c` → C, a node:http server that
 * would accept an h2c upgrade). Each case says what the client must get and what the backends
 * must (not) see. Shared by client-side.test.ts and compare-nginx.mjs.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { type RecordingBackend, startRecordingBackend } from '../helpers/hostile-servers.js';
import { describeExchange, headerOf, type RawExchange, rawExchange, type Step } from '../helpers/raw-socket.js';

/** A request as one backend saw it. */
export interface Seen {
  backend: 'A' | 'B' | 'C';
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** A node:http backend that records requests and would accept an h2c (or any) upgrade. */
export interface UpgradeBackend {
  url: string;
  requests: Seen[];
  upgrades: Seen[];
  reset(): void;
  close(): Promise<void>;
}

/** The three backends of the corpus. */
export interface CorpusBackends {
  A: RecordingBackend;
  B: RecordingBackend;
  C: UpgradeBackend;
}

/** What the client must get. */
export type ClientExpect =
  /** Any of these statuses (nothing else, no 2xx), or the connection closed without a response. */
  | { reject: number[] }
  /** Exactly one final response, complete, with one of these statuses: closing without an answer fails. */
  | { answer: number[] }
  /** Exactly one final response, complete, with this status (1xx before it allowed). */
  | { status: number }
  /** Pipelined: these final responses in order, each from the named backend. */
  | { sequence: Array<'A' | 'B'> };

/** What the backends must see: nothing at all, or exactly one request at one backend. */
export type BackendExpect =
  | 'none'
  | {
      at: 'A' | 'B' | 'C';
      target?: string;
      body?: string;
      /** Header values the backend must see; null means the header must be absent. */
      headers?: Record<string, string | null>;
    }
  | { sequence: Array<{ at: 'A' | 'B'; target: string }> };

/** One case of the corpus. */
export interface ClientCase {
  name: string;
  steps: Step[];
  client: ClientExpect;
  backend: BackendExpect;
  /** Extra checks on the exchange. */
  check?: (exchange: RawExchange, seen: Seen[]) => void;
  timeout?: number;
}

export const HOST = 'h.test';
const SMUGGLED = `GET /smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

/** A request head (+ body) with CRLF line ends; `Host: h.test` first unless `host` is false. */
export function request(target: string, headers: string[] = [], body = '', method = 'GET', host = true): string {
  const lines = host ? [`Host: ${HOST}`, ...headers] : headers;
  return `${method} ${target} HTTP/1.1\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n${body}`;
}

const post = (target: string, headers: string[], body: string) => request(target, headers, body, 'POST');
const reject400 = { reject: [400] };

function smuggling(): ClientCase[] {
  const chunkedSmuggle = `0\r\n\r\n${SMUGGLED}`;
  const teClBody = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
  const cases: Array<[string, string, number[]?]> = [
    [
      'CL.TE: Content-Length and Transfer-Encoding: chunked together',
      post('/', [`Content-Length: ${chunkedSmuggle.length}`, 'Transfer-Encoding: chunked'], chunkedSmuggle),
    ],
    [
      'TE.CL: Transfer-Encoding: chunked, then a short Content-Length',
      post('/', ['Transfer-Encoding: chunked', 'Content-Length: 4'], teClBody),
    ],
    [
      'an unknown coding (Transfer-Encoding: xchunked)',
      post('/', ['Transfer-Encoding: xchunked'], chunkedSmuggle),
      [400, 501],
    ],
    [
      'Transfer-Encoding: xchunked next to a Content-Length',
      post('/', ['Transfer-Encoding: xchunked', `Content-Length: ${chunkedSmuggle.length}`], chunkedSmuggle),
      [400, 501],
    ],
    [
      'chunked that is not the final coding (chunked, identity)',
      post('/', ['Transfer-Encoding: chunked, identity'], teClBody),
      [400, 501],
    ],
    [
      'whitespace between Transfer-Encoding and the colon',
      post('/', ['Transfer-Encoding : chunked', 'Content-Length: 4'], teClBody),
    ],
    [
      'a Transfer-Encoding folded onto a continuation line (obs-fold)',
      post('/', ['Transfer-Encoding:', ' chunked', `Content-Length: ${chunkedSmuggle.length}`], chunkedSmuggle),
    ],
    [
      'two Transfer-Encoding: chunked headers (chunked applied twice)',
      post('/', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], teClBody),
    ],
    [
      'Transfer-Encoding: chunked, then Transfer-Encoding: identity',
      post('/', ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], teClBody),
      [400, 501],
    ],
    [
      'two differing Content-Length headers',
      post('/', ['Content-Length: 4', `Content-Length: ${SMUGGLED.length + 4}`], `abcd${SMUGGLED}`),
    ],
    [
      'a Content-Length list with differing values',
      post('/', [`Content-Length: 4, ${SMUGGLED.length + 4}`], `abcd${SMUGGLED}`),
    ],
    ['a signed Content-Length (+N)', post('/', [`Content-Length: +${SMUGGLED.length}`], SMUGGLED)],
    ['a negative Content-Length', post('/', ['Content-Length: -1'], SMUGGLED)],
    ['a non-numeric Content-Length', post('/', ['Content-Length: 4a'], `abcd${SMUGGLED}`)],
    ['a hexadecimal Content-Length', post('/', ['Content-Length: 0x10'], `abcd${SMUGGLED}`)],
    ['an obs-folded header line (starts with a space)', request('/', ['X-Folded: a', ' b'])],
    ['an obs-folded header line (starts with a tab)', request('/', ['X-Folded: a', '\tb'])],
    ['bare LF line endings throughout', `GET / HTTP/1.1\nHost: ${HOST}\n\n`],
    ['a bare LF inside the header block', `GET / HTTP/1.1\r\nHost: ${HOST}\nX-Injected: 1\r\n\r\n`],
    [
      'a bare LF that would start a smuggled Content-Length',
      `POST / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: 1\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    ],
    ['a bare CR in a header value', request('/', ['X-A: a\rb'])],
    ['a NUL in a header value', request('/', ['X-A: a\0b'])],
    ['a control character (0x01) in a header value', request('/', ['X-A: a\x01b'])],
    ['a control character (0x1F) in a header value', request('/', ['X-A: a\x1fb'])],
    ['DEL (0x7F) in a header value', request('/', ['X-A: a\x7fb'])],
    ['a NUL in a header name', request('/', ['X-\0A: b'])],
    ['a space inside a header name', request('/', ['X A: b'])],
    ['a non-token character in a header name', request('/', ['X(A): b'])],
    ['whitespace before the colon of Host', request('/', [`Host : ${HOST}`], '', 'GET', false)],
    ['two Host headers', request('/', ['Host: other.test'])],
    ['no HTTP version (HTTP/0.9 request line)', 'GET /\r\n\r\n'],
    ['HTTP/2.0 in an HTTP/1 request line', `GET / HTTP/2.0\r\nHost: ${HOST}\r\n\r\n`, [505, 400]],
  ];
  return cases.map(([name, bytes, statuses]) => ({
    name: `rejects ${name}, and no backend sees the request`,
    steps: [bytes],
    client: { reject: statuses ?? [400] },
    backend: 'none' as const,
    timeout: 1500,
  }));
}

function framing(): ClientCase[] {
  return [
    {
      name: 'forwards a Content-Length body once, framed the same way by the backend',
      steps: [post('/admin/cl', ['Content-Length: 11'], 'hello world')],
      client: { status: 200 },
      backend: { at: 'A', target: '/admin/cl', body: 'hello world' },
    },
    ...[
      ['chunked with chunk extensions', 'Transfer-Encoding: chunked'],
      ['chunked after a tab (OWS)', 'Transfer-Encoding:\tchunked'],
      ['Chunked in another case', 'Transfer-Encoding: Chunked'],
    ].map(([what, line]) => ({
      name: `forwards a ${what} body once with the decoded bytes`,
      steps: [post('/admin/te', [line as string], '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')],
      client: { status: 200 },
      backend: { at: 'A' as const, target: '/admin/te', body: 'hello world' },
    })),
  ];
}

function limits(): ClientCase[] {
  const many = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);
  const hidden = Array.from({ length: 2100 }, () => 'a:1');
  return [
    {
      name: 'answers 431 to a header block over 16 KiB, and no backend sees it',
      steps: [request('/', [`X-Big: ${'a'.repeat(20 * 1024)}`])],
      client: { answer: [431] },
      backend: 'none',
    },
    {
      name: 'answers 414 or 431 to a request target over 16 KiB, and no backend sees it',
      steps: [request(`/${'a'.repeat(20 * 1024)}`)],
      client: { answer: [414, 431] },
      backend: 'none',
    },
    {
      name: 'answers 431 to 120 headers (over the default maxHeaderCount of 100)',
      steps: [request('/', many(120))],
      client: { answer: [431] },
      backend: 'none',
    },
    {
      name: 'forwards 90 headers (under the default maxHeaderCount), all of them',
      steps: [request('/many', many(90))],
      client: { status: 200 },
      backend: { at: 'B', target: '/many', headers: { 'x-h0': '0', 'x-h89': '89' } },
    },
    {
      name: 'answers 431 to 2,100 small headers hiding an Authorization and a Content-Length, never forwarding a truncated list',
      steps: [post('/', [...hidden, 'Authorization: Bearer hidden', `Content-Length: ${SMUGGLED.length}`], SMUGGLED)],
      client: { answer: [431] },
      backend: 'none',
    },
  ];
}

function hostAndVersion(): ClientCase[] {
  return [
    {
      name: 'routes an absolute-form target by its authority and sends that authority as Host',
      steps: [request('http://a.test/x?q=1', ['Host: admin.test'], '', 'GET', false)],
      client: { status: 200 },
      backend: { at: 'A', target: '/x?q=1', headers: { host: 'a.test' } },
    },
  ];
}

function paths(): ClientCase[] {
  const cleaned: Array<[string, string]> = [
    ['//admin', '/admin'],
    ['/./admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['/%2e/admin', '/admin'],
    ['/x/%2e%2e/admin', '/admin'],
    ['/.%2e/admin', '/admin'],
    ['/x/%2E%2E/admin', '/admin'],
    ['/admin/./x', '/admin/x'],
    ['/admin//x', '/admin/x'],
    ['/../admin', '/admin'],
    ['/a/b/../../admin', '/admin'],
    ['/x/../admin?next=/../y&q=%2e%2e%2F', '/admin?next=/../y&q=%2e%2e%2F'],
  ];
  const encoded = ['%2F', '%2f', '%5C', '%00', '%3B', '%25', '%3F', '%23'];
  return [
    ...cleaned.map(([raw, clean]) => ({
      name: `routes ${raw} to the admin router and forwards the cleaned ${clean}`,
      steps: [request(raw, ['Connection: close'])],
      client: { status: 200 },
      backend: { at: 'A' as const, target: clean },
    })),
    ...encoded.map((sequence) => ({
      name: `rejects an encoded ${sequence} in the path with 400 by default, and no backend sees it`,
      steps: [request(`/admin${sequence}x`)],
      client: reject400,
      backend: 'none' as const,
    })),
    {
      name: 'leaves encoded characters in the query alone',
      steps: [request('/admin?x=%2F%25%3B%00', ['Connection: close'])],
      client: { status: 200 },
      backend: { at: 'A', target: '/admin?x=%2F%25%3B%00' },
    },
  ];
}

function hopByHop(): ClientCase[] {
  const absent = (header: string, line: string): ClientCase => ({
    name: `does not forward ${line.split(':')[0]} (${line})`,
    steps: [request('/hop', [line, 'Connection: close'])],
    client: { status: 200 },
    backend: { at: 'B', target: '/hop', headers: { [header]: null } },
  });
  return [
    {
      name: 'does not forward a header the Connection header names (Connection: close, X-Api-Key)',
      steps: [request('/hop', ['Connection: close, X-Api-Key', 'X-Api-Key: s'])],
      client: { status: 200 },
      backend: { at: 'B', target: '/hop', headers: { 'x-api-key': null } },
    },
    {
      name: 'still sends X-Forwarded-For with the real address when the client names it in Connection',
      steps: [request('/hop', ['Connection: close, X-Forwarded-For', 'X-Forwarded-For: 6.6.6.6'])],
      client: { status: 200 },
      backend: { at: 'B', target: '/hop', headers: { 'x-forwarded-for': '127.0.0.1' } },
    },
    {
      name: 'replaces spoofed X-Forwarded-For, X-Real-IP and Forwarded from an untrusted client by the real address',
      steps: [
        request('/hop', [
          'X-Forwarded-For: 6.6.6.6',
          'X-Real-IP: 6.6.6.6',
          'Forwarded: for=6.6.6.6;proto=https',
          'Connection: close',
        ]),
      ],
      client: { status: 200 },
      backend: { at: 'B', target: '/hop', headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' } },
      check: (_exchange, seen) => {
        const headers = seen[0]?.headers ?? [];
        assert.equal(headers.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').length, 1, 'one X-Forwarded-For');
        const forwarded = headers.find(([n]) => n.toLowerCase() === 'forwarded')?.[1];
        assert.ok(forwarded === undefined || !forwarded.includes('6.6.6.6'), `Forwarded: ${forwarded}`);
        assert.ok(!headers.some(([, v]) => v.includes('6.6.6.6')), 'the spoofed address reached the backend');
      },
    },
    absent('keep-alive', 'Keep-Alive: timeout=5'),
    absent('proxy-connection', 'Proxy-Connection: keep-alive'),
    absent('te', 'TE: gzip'),
    absent('upgrade', 'Upgrade: foo'),
    absent('proxy-authorization', 'Proxy-Authorization: Basic Zm9vOmJhcg=='),
  ];
}

function connectionLevel(): ClientCase[] {
  return [
    {
      name: 'answers two pipelined GETs in order, each from the right backend',
      steps: [request('/admin/p1') + request('/p2', ['Connection: close'])],
      client: { sequence: ['A', 'B'] },
      backend: {
        sequence: [
          { at: 'A', target: '/admin/p1' },
          { at: 'B', target: '/p2' },
        ],
      },
    },
    {
      name: 'answers three pipelined GETs in order, each from the right backend',
      steps: [request('/p1') + request('/admin/p2') + request('/p3', ['Connection: close'])],
      client: { sequence: ['B', 'A', 'B'] },
      backend: {
        sequence: [
          { at: 'B', target: '/p1' },
          { at: 'A', target: '/admin/p2' },
          { at: 'B', target: '/p3' },
        ],
      },
    },
    {
      name: 'answers Expect: 100-continue with 100 Continue, then forwards the whole body',
      steps: [
        request('/admin/upload', ['Expect: 100-continue', 'Content-Length: 11', 'Connection: close'], '', 'POST'),
        { until: (bytes) => bytes.includes('100 Continue'), timeout: 1000 },
        'hello world',
      ],
      client: { status: 200 },
      backend: { at: 'A', target: '/admin/upload', body: 'hello world' },
      check: (exchange) => assert.equal(exchange.responses[0]?.status, 100, 'the first answer is 100 Continue'),
    },
    {
      name: 'answers an h2c upgrade as plain HTTP/1.1: no 101, and the backend sees no Upgrade or HTTP2-Settings',
      steps: [
        request('/h2c', [
          'Connection: Upgrade, HTTP2-Settings',
          'Upgrade: h2c',
          'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
        ]),
      ],
      client: { status: 200 },
      backend: { at: 'C', target: '/h2c', headers: { upgrade: null, 'http2-settings': null } },
      check: (exchange) => assert.ok(!exchange.responses.some((r) => r.status === 101), 'a 101 reached the client'),
    },
    ...[400, 200].map(
      (status): ClientCase => ({
        name: `relays a refused WebSocket upgrade (the backend answers ${status}) and ends the connection cleanly`,
        steps: [
          request(`/ws-refuse-${status}`, [
            'Connection: Upgrade',
            'Upgrade: websocket',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 13',
          ]),
        ],
        client: { status },
        backend: { at: 'B', target: `/ws-refuse-${status}` },
        check: (exchange) => assert.ok(exchange.closed, 'the connection was left open after the refused upgrade'),
        timeout: 2000,
      }),
    ),
  ];
}

/** The whole client-side corpus. */
export function clientCorpus(): ClientCase[] {
  return [
    ...smuggling(),
    ...framing(),
    ...limits(),
    ...hostAndVersion(),
    ...paths(),
    ...hopByHop(),
    ...connectionLevel(),
  ];
}

/** Starts the corpus backends. */
export async function startCorpusBackends(): Promise<CorpusBackends> {
  const answer = (request: { target: string }) => {
    const refused = /^\/ws-refuse-(\d+)/.exec(request.target);
    return refused ? { status: Number(refused[1]), body: 'no upgrade here' } : null;
  };
  const [A, B, C] = await Promise.all([
    startRecordingBackend('A', answer),
    startRecordingBackend('B', answer),
    startUpgradeBackend(),
  ]);
  return { A, B, C };
}

/** The routers and services of the corpus. */
export function corpusConfig(backends: CorpusBackends): object {
  const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
  return {
    http: {
      routers: {
        hostA: { rule: 'Host(`a.test`)', service: 'A', priority: 1000 },
        hostB: { rule: 'Host(`admin.test`)', service: 'B', priority: 1000 },
        h2c: { rule: 'PathPrefix(`/h2c`)', service: 'C', priority: 200 },
        admin: { rule: 'PathPrefix(`/admin`)', service: 'A', priority: 100 },
        root: { rule: 'PathPrefix(`/`)', service: 'B', priority: 1 },
      },
      services: { A: lb(backends.A.url), B: lb(backends.B.url), C: lb(backends.C.url) },
    },
  };
}

/** Everything the backends saw, in order per backend (A, B, C). */
export function seenBy(backends: CorpusBackends): Seen[] {
  const from = (name: 'A' | 'B', backend: RecordingBackend) =>
    backend.requests.map((r) => ({ backend: name, target: r.target, headers: r.headers, body: r.body }));
  return [...from('A', backends.A), ...from('B', backends.B), ...backends.C.requests, ...backends.C.upgrades];
}

/** Forgets what the backends recorded. */
export function resetBackends(backends: CorpusBackends): void {
  backends.A.reset();
  backends.B.reset();
  backends.C.reset();
}

/** Sends a case to the proxy on `port`. */
export async function runCase(port: number, c: ClientCase): Promise<RawExchange> {
  const finals = 'sequence' in c.client ? c.client.sequence.length : 1;
  const exchange = await rawExchange(port, c.steps, { timeout: c.timeout ?? 2500, stopAfter: finals, linger: 150 });
  // Anything forwarded is on its way to the backends before its answer came back; a short
  // settle catches a late (smuggled) request.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return exchange;
}

/** Asserts the client's and the backends' view of a case against the target behaviour. */
export function verifyCase(c: ClientCase, exchange: RawExchange, backends: CorpusBackends): void {
  const seen = seenBy(backends);
  const story = `client got: ${describeExchange(exchange)}; backends saw: ${describeSeen(seen)}`;
  for (const backend of [backends.A, backends.B]) {
    assert.ok(!backend.received().includes('/smuggled'), `a smuggled request reached ${backend.name}; ${story}`);
  }
  const client = c.client;
  if ('reject' in client) {
    for (const response of exchange.responses) {
      assert.ok(client.reject.includes(response.status), `expected ${client.reject.join(' or ')}; ${story}`);
    }
    assert.ok(exchange.responses.length > 0 || exchange.closed, `expected a rejection; ${story}`);
  } else if ('answer' in client) {
    assert.equal(exchange.finals.length, 1, `expected one final response; ${story}`);
    assert.ok(
      client.answer.includes(exchange.finals[0]?.status ?? 0),
      `expected ${client.answer.join(' or ')}; ${story}`,
    );
    assert.ok(exchange.finals[0]?.complete, `the response is truncated; ${story}`);
  } else if ('status' in client) {
    assert.equal(exchange.finals.length, 1, `expected one final response; ${story}`);
    assert.equal(exchange.finals[0]?.status, client.status, story);
    assert.ok(exchange.finals[0]?.complete, `the response is truncated; ${story}`);
  } else {
    assert.deepEqual(
      exchange.finals.map((r) => headerOf(r, 'x-backend') ?? `${r.status}`),
      client.sequence,
      `expected answers from ${client.sequence.join(', ')} in order; ${story}`,
    );
  }
  const expected = c.backend;
  if (expected === 'none') {
    assert.equal(seen.length, 0, `no backend may see this request; ${story}`);
    assert.equal(backends.A.received().length + backends.B.received().length, 0, `bytes reached a backend; ${story}`);
  } else if ('sequence' in expected) {
    assert.deepEqual(
      seen.map((s) => ({ at: s.backend, target: s.target })).sort((a, b) => a.target.localeCompare(b.target)),
      [...expected.sequence].sort((a, b) => a.target.localeCompare(b.target)),
      story,
    );
  } else {
    assert.equal(seen.length, 1, `exactly one request must reach the backends; ${story}`);
    const one = seen[0] as Seen;
    assert.equal(one.backend, expected.at, `routed to the wrong backend; ${story}`);
    if (expected.target !== undefined) assert.equal(one.target, expected.target, story);
    if (expected.body !== undefined) assert.equal(one.body.toString('latin1'), expected.body, story);
    for (const [name, value] of Object.entries(expected.headers ?? {})) {
      assert.equal(headerOf(one, name) ?? null, value, `header ${name}; ${story}`);
    }
  }
  c.check?.(exchange, seen);
  assert.deepEqual([...backends.A.errors, ...backends.B.errors], [], `a backend could not parse what it got; ${story}`);
}

/** A short description of what the backends saw. */
export function describeSeen(seen: Seen[]): string {
  if (seen.length === 0) return 'nothing';
  return seen.map((s) => `${s.backend} ${s.target}${s.body.length > 0 ? ` (${s.body.length} B body)` : ''}`).join(', ');
}

/** A node:http backend with an `upgrade` listener that records and accepts any upgrade. */
async function startUpgradeBackend(): Promise<UpgradeBackend> {
  const sockets = new Set<Socket>();
  const backend = { requests: [] as Seen[], upgrades: [] as Seen[] } as UpgradeBackend;
  const pairs = (raw: string[]) => {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
    return out;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      backend.requests.push({
        backend: 'C',
        target: req.url ?? '',
        headers: pairs(req.rawHeaders),
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'x-backend': 'C', 'content-type': 'text/plain' });
      res.end('plain HTTP/1.1');
    });
  });
  server.on('upgrade', (req, socket: Socket) => {
    backend.upgrades.push({
      backend: 'C',
      target: `UPGRADE ${req.url}`,
      headers: pairs(req.rawHeaders),
      body: Buffer.alloc(0),
    });
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade}\r\n\r\n`);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(backend, {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    reset() {
      backend.requests.length = 0;
      backend.upgrades.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return backend;
}
