/**
 * basicAuth, digestAuth, forwardAuth, ipAllowList, errors and contentType through the real
 * proxy: real backends, a real authentication server on 127.0.0.1, hashes made by the test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const aprMd5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('authentication and error-page middlewares through the proxy', () => {
  let api: Backend;
  let auth: Backend;
  let pages: Backend;
  let failing: Backend;
  let untyped: Backend;
  let proxy: TestProxy;
  const authBodies: string[] = [];

  before(async () => {
    api = await startBackend('api');
    auth = await startBackend('auth', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        authBodies.push(Buffer.concat(chunks).toString('utf8'));
        if (req.headers['x-token'] === 'good') {
          res.writeHead(200, { 'x-auth-user': 'ann', 'set-cookie': ['session=auth; Path=/', 'other=auth'] });
          res.end();
          return;
        }
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="api"', 'content-type': 'text/plain' });
        res.end('token required');
      });
    });
    pages = await startBackend('pages', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'x-page': 'yes' });
      res.end(`<h1>error page ${req.url} for ${req.headers.host}</h1>`);
    });
    failing = await startBackend('failing', (req, res) => {
      const status = Number((req.url ?? '/').split('?')[0]?.split('/')[2] ?? 200);
      res.writeHead(status, { 'content-type': 'text/plain', 'x-original': 'yes', 'set-cookie': 'session=backend' });
      res.end(`original body ${status}`);
    });
    untyped = await startBackend('untyped', (req, res) => {
      // No Content-Type at all: what the contentType middleware is for.
      res.writeHead(200);
      res.end(
        req.url === '/sniff/png'
          ? Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])
          : '<html><p>hi</p></html>',
      );
    });
    const bcrypted = bcrypt.hashSync('pw-ann', 10);
    proxy = await startProxy({
      http: {
        routers: {
          basic: { rule: 'PathPrefix(`/basic`)', service: 'api', middlewares: ['basic'] },
          digest: { rule: 'PathPrefix(`/digest`)', service: 'api', middlewares: ['digest'] },
          forward: { rule: 'PathPrefix(`/forward`)', service: 'api', middlewares: ['forward'] },
          body: { rule: 'PathPrefix(`/body`)', service: 'api', middlewares: ['forward-body'] },
          cookies: { rule: 'PathPrefix(`/cookies`)', service: 'failing', middlewares: ['forward-cookies'] },
          allowed: { rule: 'PathPrefix(`/allowed`)', service: 'api', middlewares: ['local'] },
          denied: { rule: 'PathPrefix(`/denied`)', service: 'api', middlewares: ['remote-only'] },
          errors: { rule: 'PathPrefix(`/status`)', service: 'failing', middlewares: ['pages'] },
          deadpages: { rule: 'PathPrefix(`/dead`)', service: 'failing', middlewares: ['dead-pages'] },
          sniff: { rule: 'PathPrefix(`/sniff`)', service: 'untyped', middlewares: ['sniff'] },
          plain: { rule: 'PathPrefix(`/nosniff`)', service: 'untyped' },
        },
        middlewares: {
          basic: {
            basicAuth: { users: [`ann:${bcrypted}`, `bob:${aprMd5('pw-bob')}`], headerField: 'X-WebAuth-User' },
          },
          digest: {
            digestAuth: { users: [`ann:traefik:${createHash('md5').update('ann:traefik:pw').digest('hex')}`] },
          },
          forward: {
            forwardAuth: {
              address: `${auth.url}/verify`,
              authResponseHeaders: ['X-Auth-User'],
              trustForwardHeader: false,
            },
          },
          'forward-body': {
            forwardAuth: { address: `${auth.url}/verify`, forwardBody: true, maxBodySize: 16 },
          },
          'forward-cookies': {
            forwardAuth: { address: `${auth.url}/verify`, addAuthCookiesToResponse: ['session'] },
          },
          local: { ipAllowList: { sourceRange: ['127.0.0.1/32', '::1'] } },
          'remote-only': { ipAllowList: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 404 } },
          pages: {
            errors: {
              status: ['500-599', '404'],
              service: 'pages',
              query: '/errors/{status}.html?from={url}&was={originalStatus}',
              statusRewrites: { '502-504': 500 },
            },
          },
          'dead-pages': { errors: { status: ['500-599'], service: 'dead' } },
          sniff: { contentType: {} },
        },
        services: {
          api: { loadBalancer: { servers: [{ url: api.url }] } },
          failing: { loadBalancer: { servers: [{ url: failing.url }] } },
          pages: { loadBalancer: { servers: [{ url: pages.url }] } },
          untyped: { loadBalancer: { servers: [{ url: untyped.url }] } },
          // Nothing listens on port 1: the error page service fails.
          dead: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([api, auth, pages, failing, untyped].map((backend) => backend.close()));
  });

  it('basicAuth: 401 with the challenge, then bcrypt (cost 10) and Apache MD5 users through, repeatedly', async () => {
    const refused = await send(`${proxy.url}/basic`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Basic realm="traefik"');
    for (let i = 0; i < 3; i++) {
      const { json } = await sendJson(`${proxy.url}/basic/x`, { headers: { authorization: basic('ann', 'pw-ann') } });
      assert.equal((json.headers as Record<string, string>)['x-webauth-user'], 'ann');
    }
    const { json } = await sendJson(`${proxy.url}/basic/x`, { headers: { authorization: basic('bob', 'pw-bob') } });
    assert.equal((json.headers as Record<string, string>)['x-webauth-user'], 'bob');
    const wrong = await send(`${proxy.url}/basic`, { headers: { authorization: basic('ann', 'pw-bob') } });
    assert.equal(wrong.status, 401);
  });

  it('digestAuth: challenge, then a correct answer reaches the backend', async () => {
    const challenge = await send(`${proxy.url}/digest/a`);
    assert.equal(challenge.status, 401);
    const header = String(challenge.headers['www-authenticate']);
    const nonce = /nonce="([^"]+)"/.exec(header)?.[1];
    const opaque = /opaque="([^"]+)"/.exec(header)?.[1];
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const ha1 = md5('ann:traefik:pw');
    const response = md5(`${ha1}:${nonce}:00000001:abc:auth:${md5('GET:/digest/a')}`);
    const authorization = `Digest username="ann", realm="traefik", nonce="${nonce}", uri="/digest/a", response="${response}", opaque="${opaque}", qop=auth, nc=00000001, cnonce="abc"`;
    const ok = await send(`${proxy.url}/digest/a`, { headers: { authorization } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-backend'], 'api');
  });

  it('forwardAuth: the auth server decides; its refusal reaches the client as it is', async () => {
    const hitsBefore = api.hits;
    const refused = await send(`${proxy.url}/forward/x`, { headers: { 'x-auth-user': 'spoofed' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.text, 'token required');
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="api"');
    assert.equal(api.hits, hitsBefore);
    const { json } = await sendJson(`${proxy.url}/forward/x`, {
      headers: { 'x-token': 'good', 'x-auth-user': 'spoofed' },
    });
    assert.equal((json.headers as Record<string, string>)['x-auth-user'], 'ann');
  });

  it('forwardAuth: forwardBody sends the body to both, and a body over maxBodySize is a 401', async () => {
    const { json } = await sendJson(`${proxy.url}/body`, {
      method: 'POST',
      headers: { 'x-token': 'good', 'content-type': 'text/plain' },
      body: 'small body',
    });
    assert.equal(json.body, 'small body');
    assert.equal(authBodies.at(-1), 'small body');
    const big = await send(`${proxy.url}/body`, {
      method: 'POST',
      headers: { 'x-token': 'good' },
      body: 'x'.repeat(100),
    });
    assert.equal(big.status, 401);
  });

  it('forwardAuth: addAuthCookiesToResponse replaces the backend cookie of that name only', async () => {
    const response = await send(`${proxy.url}/cookies/200`, { headers: { 'x-token': 'good' } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers['set-cookie'], ['session=auth; Path=/']);
  });

  it('ipAllowList: the local client passes one list and is refused by the other', async () => {
    assert.equal((await send(`${proxy.url}/allowed`)).status, 200);
    const refused = await send(`${proxy.url}/denied`);
    assert.equal(refused.status, 404);
    assert.equal(refused.text, 'Not Found');
  });

  it('errors: a matching status gets the page of the service, the status kept or rewritten', async () => {
    const page = await send(`${proxy.url}/status/404?q=1`, { headers: { host: 'shop.test' } });
    assert.equal(page.status, 404);
    assert.equal(page.headers['x-page'], 'yes');
    assert.equal(page.headers['x-original'], undefined);
    assert.equal(page.headers['set-cookie'], undefined);
    assert.equal(
      page.text,
      `<h1>error page /errors/404.html?from=${encodeURIComponent('http://shop.test/status/404?q=1')}&was=404 for shop.test</h1>`,
    );
    const rewritten = await send(`${proxy.url}/status/503`);
    assert.equal(rewritten.status, 500);
    assert.match(rewritten.text, /\/errors\/500\.html\?from=.*&was=503/);
    const untouched = await send(`${proxy.url}/status/418`);
    assert.equal(untouched.status, 418);
    assert.equal(untouched.text, 'original body 418');
    assert.equal(untouched.headers['x-original'], 'yes');
  });

  it('errors: an error page service that fails still answers with the original status', async () => {
    const response = await send(`${proxy.url}/dead/503`);
    assert.equal(response.status, 503);
    assert.equal(response.text, 'Bad Gateway\n');
    const fine = await send(`${proxy.url}/dead/200`);
    assert.equal(fine.status, 200);
    assert.equal(fine.text, 'original body 200');
  });

  it('errors: a keep-alive connection stays usable across error pages and plain answers', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const status of [500, 200, 404, 201, 599]) {
        const response = await send(`${proxy.url}/status/${status}`, { agent });
        assert.equal(response.status, status);
        assert.equal(response.text.startsWith('<h1>error page'), status >= 404);
      }
    } finally {
      agent.destroy();
    }
  });

  it('contentType: sniffs the type of an untyped response; without it none is added', async () => {
    const html = await send(`${proxy.url}/sniff/page`);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    const png = await send(`${proxy.url}/sniff/png`);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.equal(png.body.length, 9);
    const plain = await send(`${proxy.url}/nosniff/page`);
    assert.equal(plain.headers['content-type'], undefined);
    assert.equal(plain.text, '<html><p>hi</p></html>');
  });
});

describe('the authenticated user in the access log', () => {
  it('is the ClientUsername of the line', async () => {
    const backend = await startBackend('app');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-auth-log-'));
    const file = join(dir, 'access.log');
    const proxy = await startProxy(
      {
        http: {
          routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', middlewares: ['auth'] } },
          middlewares: { auth: { basicAuth: { users: [`ann:${aprMd5('pw')}`] } } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [`--accessLog.filePath=${file}`],
    );
    try {
      await send(`${proxy.url}/in`, { headers: { authorization: basic('ann', 'pw') } });
      await send(`${proxy.url}/out`);
      const lines = (await waitFor(
        () => {
          const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
          const found = text === '' ? [] : text.split('\n');
          return found.length === 2 ? found : undefined;
        },
        { what: 'two access log lines' },
      )) as string[];
      assert.match(lines[0] as string, /^127\.0\.0\.1 - ann \[.*"GET \/in HTTP\/1\.1" 200 /);
      assert.match(lines[1] as string, /^127\.0\.0\.1 - - \[.*"GET \/out HTTP\/1\.1" 401 /);
    } finally {
      await proxy.stop();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
