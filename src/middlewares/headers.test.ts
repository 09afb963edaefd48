import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildContext, serve, type TestServer } from '../../test/helpers/middleware-harness.js';
import { buildMiddleware } from './registry.js';

function responseHeaders(pairs: Array<[string, string]> | null | undefined): Record<string, string> {
  return Object.fromEntries(pairs ?? []);
}

describe('headers: custom headers', () => {
  let server: TestServer;
  before(async () => {
    server = await serve({
      headers: {
        customRequestHeaders: { 'X-Script-Name': 'test', 'X-Remove-Me': '' },
        customResponseHeaders: { 'X-Custom-Response': 'yes', Server: '' },
      },
    });
  });
  after(() => server.close());

  it('sets and removes request headers before forwarding', async () => {
    const { echo } = await server.request('/', { headers: { 'x-remove-me': 'secret', 'x-keep': '1' } });
    assert.equal(echo?.headers['x-script-name'], 'test');
    assert.equal(echo?.headers['x-remove-me'], undefined);
    assert.equal(echo?.headers['x-keep'], '1');
  });

  it('hands response headers to the proxy, an empty value meaning removal', async () => {
    const { echo } = await server.request('/');
    assert.deepEqual(echo?.responseHeaders, [
      ['x-custom-response', 'yes'],
      ['server', ''],
    ]);
  });

  it('reads lower-case option names and numeric values from labels', async () => {
    const labelled = await serve({ HEADERS: { customrequestheaders: { 'X-Num': 5 } } });
    try {
      assert.equal((await labelled.request('/')).echo?.headers['x-num'], '5');
    } finally {
      await labelled.close();
    }
  });
});

describe('headers: security headers', () => {
  const config = {
    headers: {
      stsSeconds: '31536000',
      stsIncludeSubdomains: true,
      stsPreload: 'true',
      frameDeny: true,
      contentTypeNosniff: true,
      browserXssFilter: true,
      referrerPolicy: 'same-origin',
      contentSecurityPolicy: "default-src 'self'",
      permissionsPolicy: 'camera=()',
      customResponseHeaders: { 'X-Frame-Options': 'SAMEORIGIN' },
    },
  };

  it('adds the security headers, letting a custom response header override one', async () => {
    const server = await serve(config, { scheme: 'https' });
    try {
      const headers = responseHeaders((await server.request('/')).echo?.responseHeaders);
      assert.equal(headers['strict-transport-security'], 'max-age=31536000; includeSubDomains; preload');
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['x-xss-protection'], '1; mode=block');
      assert.equal(headers['referrer-policy'], 'same-origin');
      assert.equal(headers['content-security-policy'], "default-src 'self'");
      assert.equal(headers['permissions-policy'], 'camera=()');
      // Later entries win when the proxy applies them in order.
      assert.equal(headers['x-frame-options'], 'SAMEORIGIN');
    } finally {
      await server.close();
    }
  });

  it('sends Strict-Transport-Security over plain HTTP only when forced', async () => {
    const plain = await serve(config);
    const forced = await serve({ headers: { stsSeconds: 60, forceSTSHeader: true } });
    try {
      assert.equal(
        responseHeaders((await plain.request('/')).echo?.responseHeaders)['strict-transport-security'],
        undefined,
      );
      assert.equal(
        responseHeaders((await forced.request('/')).echo?.responseHeaders)['strict-transport-security'],
        'max-age=60',
      );
    } finally {
      await plain.close();
      await forced.close();
    }
  });

  it('answers 500 Bad Host to a host outside allowedHosts', async () => {
    const server = await serve({ headers: { allowedHosts: ['example.com'] } });
    try {
      const bad = await server.request('/', { headers: { host: 'evil.test' } });
      assert.equal(bad.status, 500);
      assert.equal(bad.body, 'Bad Host');
      assert.equal(bad.headers['content-length'], '8');
      assert.equal((await server.request('/', { headers: { host: 'Example.com:8000' } })).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('headers: CORS', () => {
  let server: TestServer;
  before(async () => {
    server = await serve({
      headers: {
        accessControlAllowMethods: 'GET,OPTIONS,PUT',
        accessControlAllowHeaders: ['Content-Type', 'X-Token'],
        accessControlAllowOriginList: ['https://app.example.com'],
        accessControlAllowOriginListRegex: ['^https://.*\\.trusted\\.test$'],
        accessControlExposeHeaders: ['X-Total'],
        accessControlAllowCredentials: true,
        accessControlMaxAge: 100,
        addVaryHeader: true,
      },
    });
  });
  after(() => server.close());

  it('answers a preflight itself with 200 and the CORS headers, without calling the backend', async () => {
    const reply = await server.request('/api', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.echo, null);
    assert.equal(reply.body, '');
    assert.equal(reply.headers['content-length'], '0');
    assert.equal(reply.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(reply.headers['access-control-allow-methods'], 'GET,OPTIONS,PUT');
    assert.equal(reply.headers['access-control-allow-headers'], 'Content-Type,X-Token');
    assert.equal(reply.headers['access-control-allow-credentials'], 'true');
    assert.equal(reply.headers['access-control-max-age'], '100');
  });

  it('forwards an OPTIONS request that is not a preflight', async () => {
    const reply = await server.request('/api', { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } });
    assert.equal(reply.echo?.path, '/api');
  });

  it('adds the allowed origin, credentials, exposed headers and Vary to a normal response', async () => {
    const { echo } = await server.request('/api', { headers: { origin: 'https://app.example.com' } });
    assert.deepEqual(responseHeaders(echo?.responseHeaders), {
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Total',
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
    });
  });

  it('allows an origin matching a regexp and leaves an unknown origin without Allow-Origin', async () => {
    const trusted = await server.request('/', { headers: { origin: 'https://a.trusted.test' } });
    assert.equal(
      responseHeaders(trusted.echo?.responseHeaders)['access-control-allow-origin'],
      'https://a.trusted.test',
    );
    const unknown = await server.request('/', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'GET' },
    });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.headers['access-control-allow-origin'], undefined);
  });

  it('answers a wildcard origin list with *', async () => {
    const wildcard = await serve({ headers: { accessControlAllowOriginList: '*' } });
    try {
      const reply = await wildcard.request('/', {
        method: 'OPTIONS',
        headers: { origin: 'https://any.test', 'access-control-request-method': 'GET' },
      });
      assert.equal(reply.headers['access-control-allow-origin'], '*');
      assert.equal(reply.headers['access-control-max-age'], '0');
    } finally {
      await wildcard.close();
    }
  });

  it('keeps response headers set by an earlier middleware', async () => {
    const configs = {
      one: { headers: { customResponseHeaders: { 'X-One': '1' } } },
      two: { headers: { customResponseHeaders: { 'X-Two': '2' } } },
    };
    const chained = await serve({ chain: { middlewares: 'one,two' } }, { configs });
    try {
      assert.deepEqual((await chained.request('/')).echo?.responseHeaders, [
        ['x-one', '1'],
        ['x-two', '2'],
      ]);
      // Prepared lists are shared between requests; a second request must not see the first's.
      assert.equal((await chained.request('/')).echo?.responseHeaders?.length, 2);
    } finally {
      await chained.close();
    }
  });
});

describe('headers: validation', () => {
  for (const [options, keyPath] of [
    [{ stsSeconds: 'soon' }, 'http.middlewares.h.headers.stsSeconds'],
    [{ frameDeny: 'yes' }, 'http.middlewares.h.headers.frameDeny'],
    [{ customResponseHeaders: { 'X-A': 'a\nb' } }, 'http.middlewares.h.headers.customResponseHeaders.X-A'],
    [{ accessControlAllowOriginListRegex: ['('] }, 'http.middlewares.h.headers.accessControlAllowOriginListRegex.0'],
    [{ sslRedirect: 'maybe', frameDeny: 'yes' }, 'http.middlewares.h.headers.frameDeny'],
  ] as const) {
    it(`rejects ${JSON.stringify(options)} naming ${keyPath}`, () => {
      assert.throws(
        () => buildMiddleware('h', { headers: options }, buildContext('h')),
        (error: unknown) =>
          error instanceof Error && error.name === 'MiddlewareError' && error.message.includes(keyPath),
      );
    });
  }
});

describe('headers: options removed in Traefik v3', () => {
  it('loads sslRedirect, sslTemporaryRedirect, sslHost, sslForceHost and featurePolicy, naming each in a warning', () => {
    const warnings: string[] = [];
    const context = { ...buildContext('h'), warn: (message: string) => warnings.push(message) };
    const options = {
      sslRedirect: true,
      SSLTemporaryRedirect: true,
      sslHost: 'example.org',
      sslForceHost: true,
      featurePolicy: "camera 'none'",
      frameDeny: true,
    };
    assert.doesNotThrow(() => buildMiddleware('h', { headers: options }, context));
    assert.deepEqual(
      warnings.map((w) => w.split(':')[0]),
      [
        'http.middlewares.h.headers.sslRedirect',
        'http.middlewares.h.headers.sslTemporaryRedirect',
        'http.middlewares.h.headers.sslHost',
        'http.middlewares.h.headers.sslForceHost',
        'http.middlewares.h.headers.featurePolicy',
      ],
    );
    assert.match(warnings[4] ?? '', /use permissionsPolicy; ignored$/);
  });

  it('still honours sslProxyHeaders (kept in v3): a request carrying one counts as secure for STS', async () => {
    const server = await serve({ headers: { stsSeconds: 60, sslProxyHeaders: { 'X-Forwarded-Proto': 'https' } } });
    try {
      const sts = async (headers: Record<string, string>) =>
        responseHeaders((await server.request('/', { headers })).echo?.responseHeaders)['strict-transport-security'];
      assert.equal(await sts({}), undefined);
      assert.equal(await sts({ 'X-Forwarded-Proto': 'https' }), 'max-age=60');
    } finally {
      await server.close();
    }
  });
});
