/**
 * Hostile input to the authentication middlewares: malformed and huge Authorization headers
 * (basicAuth, digestAuth), and an authentication server (forwardAuth) that answers garbage, a
 * broken head, an endless header block, or dies in the middle of its answer. Every case must end
 * in a clean answer for that request (401, 431, 500) with the proxy alive and leaking no client
 * socket. The proxy runs in a child process, so a crash fails one case only.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { type RawUpstream, startRawUpstream } from '../helpers/hostile-servers.js';
import { describeExchange, rawExchange } from '../helpers/raw-socket.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

const aprMd5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;

const request = (path: string, headerLines = '') =>
  `GET ${path} HTTP/1.1\r\nHost: h.test\r\n${headerLines}Connection: close\r\n\r\n`;

/** Authorization values that must all get a 401 from basicAuth. */
const BASIC_GARBAGE: Array<[string, string]> = [
  ['the bare scheme', 'Basic'],
  ['the scheme and a space', 'Basic '],
  ['padding only', 'Basic ===='],
  ['invalid base64', 'Basic !!!!####'],
  ['base64 of no colon', `Basic ${Buffer.from('annpw').toString('base64')}`],
  ['an empty user', `Basic ${Buffer.from(':pw').toString('base64')}`],
  ['invalid UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe, 0xc3]).toString('base64')}`],
  ['NUL bytes in the credentials', `Basic ${Buffer.from('ann\0:pw\0').toString('base64')}`],
  ['another scheme', 'Bearer eyJhbGciOiJub25lIn0.e30.'],
  ['an 8 KiB password', `Basic ${Buffer.from(`ann:${'p'.repeat(8 * 1024)}`).toString('base64')}`],
  ['a 12 KiB header of spaces', `Basic ${' '.repeat(12 * 1024)}`],
];

/** Authorization values that must all get a 401 from digestAuth. */
const DIGEST_GARBAGE: Array<[string, string]> = [
  ['the bare scheme', 'Digest'],
  ['an unterminated quote', 'Digest username="ann, nonce="x'],
  ['a parameter without value', 'Digest username'],
  [
    'a non-hex nonce count',
    'Digest username="ann", nonce="x", nc=zzzz, qop=auth, response="0", opaque="o", uri="/digest"',
  ],
  ['a huge nonce count', 'Digest username="ann", nc=ffffffffffffffffffff, qop=auth'],
  ['10,000 empty parameters', `Digest ${','.repeat(10_000)}`],
  ['an algorithm other than MD5', 'Digest username="ann", algorithm=SHA-256, qop=auth'],
];

interface AuthServerCase {
  name: string;
  /** What the authentication server writes once it has the request head. */
  answer: (socket: Socket) => void;
}

const AUTH_SERVER_CASES: AuthServerCase[] = [
  { name: 'answers bytes that are not HTTP', answer: (s) => s.end('NOT HTTP AT ALL\r\n\r\n') },
  { name: 'closes without answering', answer: (s) => s.end() },
  { name: 'resets the connection', answer: (s) => s.resetAndDestroy() },
  {
    name: 'sends a header value with a bare CR',
    answer: (s) => s.end('HTTP/1.1 200 OK\r\nX-Auth-User: a\rX-Injected: 1\r\nContent-Length: 0\r\n\r\n'),
  },
  {
    name: 'dies in the middle of its body',
    answer: (s) => s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nonly ten b'),
  },
  {
    name: 'dies in the middle of a chunked body',
    answer: (s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'),
  },
  {
    name: 'sends an endless header block',
    answer: (s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      s.end(`X-Big: ${'b'.repeat(200 * 1024)}\r\n`);
    },
  },
  {
    name: 'sends both Content-Length and Transfer-Encoding',
    answer: (s) =>
      s.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
  },
];

describe('hostile input to the authentication middlewares', () => {
  let healthy: Backend;
  let authServer: RawUpstream;
  let proxy: ChildProxy;

  before(async () => {
    healthy = await startBackend('healthy', (req, res) => {
      req.resume();
      res.end('fine');
    });
    const scripts = new Map(AUTH_SERVER_CASES.map((c, i) => [`/auth/${i}`, c.answer]));
    authServer = await startRawUpstream((path, socket) => scripts.get(path)?.(socket));
    const routers: Record<string, object> = {
      basic: { rule: 'PathPrefix(`/basic`)', service: 'healthy', middlewares: ['basic'] },
      digest: { rule: 'PathPrefix(`/digest`)', service: 'healthy', middlewares: ['digest'] },
      health: { rule: 'PathPrefix(`/health`)', service: 'healthy' },
    };
    const middlewares: Record<string, object> = {
      basic: { basicAuth: { users: [`ann:${aprMd5('pw')}`] } },
      digest: { digestAuth: { users: ['ann:traefik:0123456789abcdef0123456789abcdef'] } },
    };
    AUTH_SERVER_CASES.forEach((_, i) => {
      routers[`forward${i}`] = { rule: `PathPrefix(\`/forward/${i}/\`)`, service: 'healthy', middlewares: [`fa${i}`] };
      middlewares[`fa${i}`] = { forwardAuth: { address: `${authServer.url}/auth/${i}` } };
    });
    proxy = await startChildProxy({
      http: { routers, middlewares, services: { healthy: { loadBalancer: { servers: [{ url: healthy.url }] } } } },
    });
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([healthy.close(), authServer.close()]);
  });

  for (const [what, value] of BASIC_GARBAGE) {
    it(`basicAuth answers 401 to ${what}, and stays up`, { timeout: 15_000 }, async () => {
      await freshIfCrashed(proxy);
      const exchange = await rawExchange(proxy.port, request('/basic', `Authorization: ${value}\r\n`));
      assert.equal(exchange.finals[0]?.status, 401, describeExchange(exchange));
      await assertProxyHealthy(proxy);
    });
  }

  it('basicAuth answers 401 to two Authorization headers, and 431 to a header past the limit', async () => {
    await freshIfCrashed(proxy);
    const good = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
    const doubled = await rawExchange(
      proxy.port,
      request('/basic', `Authorization: Basic x\r\nAuthorization: ${good}\r\n`),
    );
    // Node keeps the first of duplicated Authorization lines: the bad one decides.
    assert.equal(doubled.finals[0]?.status, 401, describeExchange(doubled));
    const huge = await rawExchange(proxy.port, request('/basic', `Authorization: Basic ${'A'.repeat(64 * 1024)}\r\n`));
    assert.equal(huge.finals[0]?.status, 431, describeExchange(huge));
    const ok = await rawExchange(proxy.port, request('/basic', `Authorization: ${good}\r\n`));
    assert.equal(ok.finals[0]?.status, 200, describeExchange(ok));
    await assertProxyHealthy(proxy);
  });

  for (const [what, value] of DIGEST_GARBAGE) {
    it(`digestAuth answers 401 to ${what}, and stays up`, { timeout: 15_000 }, async () => {
      await freshIfCrashed(proxy);
      const exchange = await rawExchange(proxy.port, request('/digest', `Authorization: ${value}\r\n`));
      assert.equal(exchange.finals[0]?.status, 401, describeExchange(exchange));
      await assertProxyHealthy(proxy);
    });
  }

  AUTH_SERVER_CASES.forEach((c, i) => {
    it(`forwardAuth answers 500 when the auth server ${c.name}, and stays up`, { timeout: 15_000 }, async () => {
      await freshIfCrashed(proxy);
      const exchange = await rawExchange(proxy.port, request(`/forward/${i}/x`), { timeout: 5000 });
      assert.equal(exchange.finals[0]?.status, 500, describeExchange(exchange));
      assert.ok(exchange.finals[0]?.complete, describeExchange(exchange));
      await assertProxyHealthy(proxy);
    });
  });
});
