import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { buildMiddleware } from './registry.js';

async function send(
  config: Record<string, unknown>,
  path: string,
  options: { method?: string; host?: string; scheme?: 'http' | 'https' } = {},
) {
  const server = await serve(config, { scheme: options.scheme ?? 'http' });
  try {
    return await server.request(path, {
      method: options.method ?? 'GET',
      headers: { host: options.host ?? 'example.com:8000' },
    });
  } finally {
    await server.close();
  }
}

function rejects(config: Record<string, unknown>, keyPath: string): void {
  assert.throws(
    () => buildMiddleware('r', config, buildContext('r')),
    (error: unknown) => error instanceof Error && error.name === 'MiddlewareError' && error.message.includes(keyPath),
  );
}

describe('redirectScheme', () => {
  it('redirects to https keeping host, path and query and dropping the port', async () => {
    const reply = await send({ redirectScheme: { scheme: 'https' } }, '/a/b?x=1');
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'https://example.com/a/b?x=1');
    assert.equal(reply.body, 'Found');
    assert.equal(reply.headers['content-length'], '5');
  });

  it('answers 301 for a permanent redirect and 307/308 for methods other than GET', async () => {
    assert.equal((await send({ redirectScheme: { scheme: 'https', permanent: true } }, '/')).status, 301);
    const post = await send({ redirectScheme: { scheme: 'https', permanent: 'true' } }, '/', { method: 'POST' });
    assert.equal(post.status, 308);
    assert.equal(post.body, 'Permanent Redirect');
    assert.equal((await send({ redirectScheme: { scheme: 'https' } }, '/', { method: 'PUT' })).status, 307);
  });

  it('uses the configured port unless it is the default for the scheme', async () => {
    const custom = await send({ redirectScheme: { scheme: 'https', port: '8443' } }, '/x');
    assert.equal(custom.headers.location, 'https://example.com:8443/x');
    const numeric = await send({ redirectscheme: { SCHEME: 'https', port: 443 } }, '/x');
    assert.equal(numeric.headers.location, 'https://example.com/x');
  });

  it('keeps IPv6 hosts in brackets', async () => {
    const reply = await send({ redirectScheme: { scheme: 'https' } }, '/', { host: '[::1]:8000' });
    assert.equal(reply.headers.location, 'https://[::1]/');
  });

  it('lets a request already on the target scheme through', async () => {
    const reply = await send({ redirectScheme: { scheme: 'https' } }, '/x', { scheme: 'https' });
    assert.equal(reply.status, 200);
    assert.equal(reply.echo?.path, '/x');
  });

  it('rejects a missing scheme and a bad port with the key path', () => {
    rejects({ redirectScheme: { permanent: true } }, 'http.middlewares.r.redirectScheme.scheme');
    rejects({ redirectScheme: { scheme: 'https', port: 'eighty' } }, 'http.middlewares.r.redirectScheme.port');
    rejects({ redirectScheme: { scheme: 'https', permanent: 2 } }, 'http.middlewares.r.redirectScheme.permanent');
  });
});

describe('redirectRegex', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement templates, not JavaScript ones
  const toWww = { redirectRegex: { regex: '^http://localhost/(.*)', replacement: 'http://www.localhost/${1}' } };

  it('matches the full request URL and redirects to the expanded replacement', async () => {
    const reply = await send(toWww, '/a/b?q=1', { host: 'localhost' });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'http://www.localhost/a/b?q=1');
    assert.equal(reply.body, 'Found');
  });

  it('sees a non-default port in the URL and drops a default one', async () => {
    const withPort = { redirectRegex: { regex: '^http://([^/]+):8000/(.*)', replacement: 'https://$1/$2' } };
    assert.equal((await send(withPort, '/p', { host: 'example.com:8000' })).headers.location, 'https://example.com/p');
    assert.equal((await send(toWww, '/p', { host: 'localhost:80' })).headers.location, 'http://www.localhost/p');
  });

  it('passes a URL that does not match, or that rewrites to itself, to the next handler', async () => {
    assert.equal((await send(toWww, '/x', { host: 'other.test' })).echo?.path, '/x');
    const same = { redirectRegex: { regex: '^(.*)$', replacement: '$1' } };
    assert.equal((await send(same, '/x', { host: 'other.test' })).echo?.path, '/x');
  });

  it('answers 301 when permanent and 308 for a POST', async () => {
    const permanent = { redirectRegex: { ...toWww.redirectRegex, permanent: true } };
    assert.equal((await send(permanent, '/', { host: 'localhost' })).status, 301);
    assert.equal((await send(permanent, '/', { host: 'localhost', method: 'POST' })).status, 308);
  });

  it('rejects a bad regexp or a missing replacement with the key path', () => {
    rejects({ redirectRegex: { regex: '[', replacement: 'x' } }, 'http.middlewares.r.redirectRegex.regex');
    rejects({ redirectRegex: { regex: '.*' } }, 'http.middlewares.r.redirectRegex.replacement');
  });
});
