// The soak's hostile and aborting clients, over raw `net` sockets so that they can send what
// node:http would refuse to. Each case states what a healthy proxy does with it; any other
// outcome counts as a failure of that case (the soak also checks the proxy is still alive
// after each one, and names the case that preceded a crash).
import http from 'node:http';
import net from 'node:net';

const HEAD = 'Host: soak\r\nConnection: close\r\n';

/**
 * Connect to 127.0.0.1:port, send `payload`, read until the proxy closes, `readBytes` have
 * arrived (then destroy: an abort mid-response), `destroyAfterMs` passed (an abort mid-request)
 * or `timeoutMs`. Resolves to { status, bytes, ms, end } — status is null without a response.
 */
export function rawExchange(port, payload, { readBytes = Infinity, destroyAfterMs, timeoutMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    let bytes = 0;
    let done = false;
    const finish = (end) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(abortTimer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, bytes, ms: performance.now() - started, end });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const abortTimer = destroyAfterMs === undefined ? null : setTimeout(() => finish('aborted'), destroyAfterMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      if (head.length < 64) head += chunk.toString('latin1', 0, 64);
      bytes += chunk.length;
      if (bytes >= readBytes) finish('aborted');
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (e) => finish(e.code ?? 'error'));
  });
}

/** Is request `id` still open at the soak upstream (asked directly, not through the proxy)? */
function upstreamOpen(oddPort, id) {
  return new Promise((resolve) => {
    const req = http.get(`http://127.0.0.1:${oddPort}/open?id=${id}`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body).open);
        } catch {
          resolve(null); // unreadable: asked again until the deadline
        }
      });
    });
    req.on('error', () => resolve(null));
  });
}

/** Waits until the upstream has closed request `id`; false if it is still open after `ms`. */
async function upstreamFreed(oddPort, id, ms = 6000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await upstreamOpen(oddPort, id)) === false) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const get = (path, extra = '') => `GET ${path} HTTP/1.1\r\n${HEAD}${extra}\r\n`;
const status =
  (...ok) =>
  (r) =>
    ok.includes(r.status);

/**
 * Every case: `send` (payload or options for rawExchange), `expect` in words, `ok(result)`.
 * `poison` cases are the ones that crash today's proxy; `--no-poison` leaves them out.
 * Cases taking an `id` are also checked for the upstream request being freed afterwards.
 */
export const CASES = [
  {
    name: 'malformed request line',
    expect: '400, proxy lives',
    send: () => 'GET /api HTTP/1.1 extra\r\nHost: soak\r\n\r\n',
    ok: status(400),
  },
  {
    name: 'NUL in a header value',
    expect: '400, proxy lives',
    send: () => get('/api', 'X-Bad: a\0b\r\n'),
    ok: status(400),
  },
  {
    name: 'bare CR in a header value',
    expect: '400, proxy lives',
    send: () => get('/api', 'X-Bad: a\rb\r\n'),
    ok: status(400),
  },
  {
    // RFC 9112 §5.2: a server rejects obs-fold with 400 or replaces it by spaces.
    name: 'obs-fold header line',
    expect: '400 (or 200 with the fold unfolded)',
    send: () => get('/api', 'X-Folded: a\r\n b\r\n'),
    ok: status(400, 200),
  },
  {
    name: 'Content-Length + Transfer-Encoding',
    expect: '400, not forwarded (request smuggling)',
    send: () =>
      `POST /api HTTP/1.1\r\n${HEAD}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: soak\r\n\r\n`,
    ok: status(400),
  },
  {
    name: 'oversized headers (64 KiB)',
    expect: '431 (or 400), proxy lives',
    send: () => get('/api', `X-Big: ${'a'.repeat(64 * 1024)}\r\n`),
    ok: status(431, 400),
  },
  {
    name: 'upstream closes early',
    expect: '502 for that request only',
    send: () => get('/hostile/early-close'),
    ok: status(502),
  },
  {
    name: 'upstream stalls',
    expect: '504 after the 2 s header timeout, upstream request freed',
    send: (id) => get(`/hostile/stall?id=${id}`),
    ok: (r) => r.status === 504 && r.ms >= 1500 && r.ms < 6000,
    freed: true,
  },
  {
    name: 'upstream header with bare LF',
    expect: '502 for that request only',
    send: () => get('/hostile/poison-lf'),
    ok: status(502),
    poison: true,
  },
  {
    name: 'upstream header with NUL',
    expect: '502 for that request only',
    send: () => get('/hostile/poison-nul'),
    ok: status(502),
    poison: true,
  },
  {
    name: 'client aborts mid-response',
    expect: '200 head, then the upstream stream is freed',
    send: (id) => ({ payload: get(`/stream?id=${id}`), readBytes: 256 * 1024 }),
    ok: (r) => r.status === 200 && r.end === 'aborted',
    freed: true,
  },
  {
    name: 'client aborts mid-request-body',
    expect: 'no answer (we left), upstream request freed',
    send: (id) => ({
      payload: `POST /upload?id=${id} HTTP/1.1\r\n${HEAD}Content-Length: 1048576\r\n\r\n${'u'.repeat(64 * 1024)}`,
      destroyAfterMs: 300,
    }),
    ok: (r) => r.end === 'aborted',
    freed: true,
  },
];

/**
 * Run one case against the proxy's web port; `oddPort` is the soak upstream's own port.
 * Resolves to { pass, outcome } where outcome describes what happened in a few words.
 */
export async function runCase(c, id, webPort, oddPort) {
  const sent = c.send(id);
  const opts = typeof sent === 'string' ? { payload: sent } : sent;
  const r = await rawExchange(webPort, opts.payload, opts);
  let outcome = r.status === null ? `no response (${r.end})` : `${r.status}`;
  if (c.name === 'upstream stalls' && r.status !== null) outcome += ` after ${(r.ms / 1000).toFixed(1)} s`;
  let pass = c.ok(r);
  if (pass && c.freed && !(await upstreamFreed(oddPort, id))) {
    pass = false;
    outcome += ', upstream request still open after 6 s';
  }
  return { pass, outcome };
}
