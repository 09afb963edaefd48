import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { canonicalHeaderKey } from './forward-auth.js';
import { buildMiddleware } from './registry.js';

/** A real authentication server: answers by path, remembers what it was asked. */
async function startAuthServer(): Promise<{
  url: string;
  seen: http.IncomingHttpHeaders[];
  methods: string[];
  close(): Promise<void>;
}> {
  const seen: http.IncomingHttpHeaders[] = [];
  const methods: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    methods.push(req.method ?? '');
    const path = req.url ?? '/';
    if (path.startsWith('/ok')) {
      res.writeHead(204, {
        'x-auth-user': 'ann',
        'x-auth-role': 'admin',
        'x-other': 'no',
        'set-cookie': ['session=from-auth; Path=/', 'tracking=1'],
      });
      res.end();
    } else if (path.startsWith('/login')) {
      res.writeHead(302, { location: '/signin?next=1', 'x-reason': 'login', 'www-authenticate': 'Bearer' });
      res.end('go log in');
    } else if (path.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(5000));
    } else {
      res.writeHead(403, { 'content-type': 'application/json', 'x-reason': 'denied', connection: 'keep-alive' });
      res.end('{"error":"denied"}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    methods,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('canonical header keys (what authResponseHeadersRegex matches)', () => {
  it('writes names as Go does', () => {
    assert.equal(canonicalHeaderKey('x-auth-user'), 'X-Auth-User');
    assert.equal(canonicalHeaderKey('WWW-AUTHENTICATE'), 'Www-Authenticate');
  });
});

describe('forwardAuth', () => {
  let auth: Awaited<ReturnType<typeof startAuthServer>>;
  before(async () => {
    auth = await startAuthServer();
  });
  after(() => auth.close());

  it('lets the request through on 2xx, copying authResponseHeaders and those matching the regex', async () => {
    const server = await serve({
      forwardAuth: {
        address: `${auth.url}/ok`,
        authResponseHeaders: ['X-Auth-User'],
        authResponseHeadersRegex: '^X-Auth-R',
      },
    });
    try {
      const reply = await server.request('/app/page?q=1', {
        headers: { 'x-auth-user': 'spoofed', 'x-auth-rogue': 'spoofed', authorization: 'Bearer t' },
      });
      assert.equal(reply.status, 200);
      const headers = reply.echo?.headers ?? {};
      assert.equal(headers['x-auth-user'], 'ann');
      assert.equal(headers['x-auth-role'], 'admin');
      assert.equal(headers['x-auth-rogue'], undefined, 'a client header matching the regex is removed');
      assert.equal(headers['x-other'], undefined);
      const asked = auth.seen.at(-1) ?? {};
      assert.equal(asked.authorization, 'Bearer t');
      assert.equal(asked['x-forwarded-method'], 'GET');
      assert.equal(asked['x-forwarded-proto'], 'http');
      assert.match(String(asked['x-forwarded-host']), /^127\.0\.0\.1:\d+$/);
      assert.equal(asked['x-forwarded-uri'], '/app/page?q=1');
      assert.equal(asked['x-forwarded-for'], '127.0.0.1');
      assert.match(String(asked.host), /^127\.0\.0\.1:\d+$/);
      assert.notEqual(asked.host, asked['x-forwarded-host']);
    } finally {
      await server.close();
    }
  });

  it('returns a non-2xx answer as it is, a relative Location made absolute against the address', async () => {
    const denied = await serve({ forwardAuth: { address: `${auth.url}/deny` } });
    const login = await serve({ forwardAuth: { address: `${auth.url}/login` } });
    const kept = await serve({ forwardAuth: { address: `${auth.url}/login`, preserveLocationHeader: true } });
    try {
      const refused = await denied.request('/');
      assert.equal(refused.status, 403);
      assert.equal(refused.body, '{"error":"denied"}');
      assert.equal(refused.headers['content-type'], 'application/json');
      assert.equal(refused.headers['x-reason'], 'denied');
      assert.equal(refused.echo, null);
      const redirected = await login.request('/');
      assert.equal(redirected.status, 302);
      assert.equal(redirected.headers.location, `${auth.url}/signin?next=1`);
      assert.equal(redirected.headers['www-authenticate'], 'Bearer');
      assert.equal(redirected.body, 'go log in');
      assert.equal((await kept.request('/')).headers.location, '/signin?next=1');
    } finally {
      await denied.close();
      await login.close();
      await kept.close();
    }
  });

  it('answers 500 when the auth server cannot be reached', async () => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');
    const server = await serve({ forwardAuth: { address: `http://127.0.0.1:${port}/` } });
    try {
      const reply = await server.request('/');
      assert.equal(reply.status, 500);
      assert.equal(reply.body, '');
    } finally {
      await server.close();
    }
  });

  it('sends only authRequestHeaders, drops X-Forwarded-* with trustForwardHeader false, keeps them with true', async () => {
    const filtered = await serve({
      forwardAuth: { address: `${auth.url}/ok`, authRequestHeaders: 'Cookie', trustForwardHeader: false },
    });
    const trusting = await serve({ forwardAuth: { address: `${auth.url}/ok`, trustForwardHeader: true } });
    try {
      await filtered.request('/x', { headers: { cookie: 'a=1', 'x-secret': 's', 'x-forwarded-for': '9.9.9.9' } });
      let asked = auth.seen.at(-1) ?? {};
      assert.equal(asked.cookie, 'a=1');
      assert.equal(asked['x-secret'], undefined);
      assert.equal(asked['x-forwarded-for'], '127.0.0.1');
      assert.equal(asked['x-forwarded-port'], String(asked['x-forwarded-host']).split(':')[1]);
      await trusting.request('/x', { headers: { 'x-forwarded-for': '9.9.9.9', 'x-forwarded-proto': 'https' } });
      asked = auth.seen.at(-1) ?? {};
      assert.equal(asked['x-forwarded-for'], '9.9.9.9, 127.0.0.1');
      assert.equal(asked['x-forwarded-proto'], 'https');
      assert.equal(asked['x-forwarded-port'], String(asked['x-forwarded-host']).split(':')[1]);
    } finally {
      await filtered.close();
      await trusting.close();
    }
  });

  it('keeps the method with preserveRequestMethod, else asks with GET', async () => {
    const keep = await serve({ forwardAuth: { address: `${auth.url}/ok`, preserveRequestMethod: true } });
    const plain = await serve({ forwardAuth: { address: `${auth.url}/ok` } });
    try {
      await keep.request('/', { method: 'DELETE' });
      assert.equal(auth.methods.at(-1), 'DELETE');
      await plain.request('/', { method: 'DELETE' });
      assert.equal(auth.methods.at(-1), 'GET');
      assert.equal(auth.seen.at(-1)?.['x-forwarded-method'], 'DELETE');
    } finally {
      await keep.close();
      await plain.close();
    }
  });

  it('answers 401 when the auth answer is over maxResponseBodySize, and redirects a 401 to authSigninURL', async () => {
    const small = await serve({ forwardAuth: { address: `${auth.url}/big`, maxResponseBodySize: 100 } });
    try {
      assert.equal((await small.request('/')).status, 401);
    } finally {
      await small.close();
    }
    const unauthorized = http.createServer((_req, res) => {
      res.writeHead(401);
      res.end();
    });
    unauthorized.listen(0, '127.0.0.1');
    await once(unauthorized, 'listening');
    const { port } = unauthorized.address() as AddressInfo;
    const signin = await serve({
      forwardAuth: { address: `http://127.0.0.1:${port}/`, authSigninURL: 'https://login.example/' },
    });
    try {
      const reply = await signin.request('/');
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, 'https://login.example/');
    } finally {
      await signin.close();
      unauthorized.closeAllConnections();
      unauthorized.close();
    }
  });

  it('names the key of bad options', () => {
    const error = (config: Record<string, unknown>): string => {
      try {
        buildMiddleware('fa', config, buildContext('fa'));
      } catch (thrown) {
        assert.ok(thrown instanceof MiddlewareError);
        return thrown.message;
      }
      assert.fail('expected the build to throw');
    };
    assert.match(error({ forwardAuth: {} }), /forwardAuth\.address: required option is missing/);
    assert.match(error({ forwardAuth: { address: 'ftp://x' } }), /forwardAuth\.address: expected an http/);
    assert.match(
      error({ forwardAuth: { address: 'http://x', authResponseHeadersRegex: '(' } }),
      /authResponseHeadersRegex: invalid/,
    );
    assert.match(
      error({ forwardAuth: { address: 'https://x', tls: { cert: '/nope.crt', key: '/nope.key' } } }),
      /forwardAuth\.tls\.cert: no such file/,
    );
    assert.match(
      error({ forwardAuth: { address: 'https://x', tls: { cert: '/nope.crt' } } }),
      /forwardAuth\.tls\.key: tls\.cert needs tls\.key/,
    );
  });
});
