import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { buildMiddleware } from './registry.js';

async function pathAfter(config: Record<string, unknown>, path: string) {
  const server = await serve(config);
  try {
    return (await server.request(path)).echo!;
  } finally {
    await server.close();
  }
}

function rejects(config: Record<string, unknown>, keyPath: string): void {
  assert.throws(
    () => buildMiddleware('m', config, buildContext('m')),
    (error: unknown) => error instanceof Error && error.name === 'MiddlewareError' && error.message.includes(keyPath),
  );
}

describe('stripPrefixRegex', () => {
  it('strips what the regexp matches at the start of the path and reports it', async () => {
    const echo = await pathAfter({ stripPrefixRegex: { regex: ['/foo/[a-z0-9]+/[0-9]+/'] } }, '/foo/abc/12/bar?x=1');
    assert.equal(echo.path, '/bar');
    assert.equal(echo.query, 'x=1');
    assert.equal(echo.headers['x-forwarded-prefix'], '/foo/abc/12/');
    assert.equal(echo.strippedPrefix, '/foo/abc/12/');
  });

  it('does not strip a match that is not at the start of the path', async () => {
    const echo = await pathAfter({ stripPrefixRegex: { regex: '/api' } }, '/v1/api/x');
    assert.equal(echo.path, '/v1/api/x');
    assert.equal(echo.headers['x-forwarded-prefix'], undefined);
  });

  it('understands RE2 spellings: named groups, POSIX classes and leading flags', async () => {
    const echo = await pathAfter({ stripprefixregex: { Regex: ['(?i)/(?P<v>V[[:digit:]]+)'] } }, '/v2/users');
    assert.equal(echo.path, '/users');
  });

  it('rejects a regexp Go would reject, naming its index', () => {
    rejects({ stripPrefixRegex: { regex: ['/ok', '/(?=x)'] } }, 'http.middlewares.m.stripPrefixRegex.regex.1');
    rejects({ stripPrefixRegex: { regex: ['/(a'] } }, 'http.middlewares.m.stripPrefixRegex.regex.0');
    rejects({ stripPrefixRegex: { regex: 3 } }, 'http.middlewares.m.stripPrefixRegex.regex');
  });
});

describe('addPrefix', () => {
  it('prepends the prefix to the path', async () => {
    const echo = await pathAfter({ addPrefix: { prefix: '/api' } }, '/users?q=1');
    assert.equal(echo.path, '/api/users');
    assert.equal(echo.query, 'q=1');
  });

  it('adds a missing leading slash and avoids a doubled one', async () => {
    assert.equal((await pathAfter({ addprefix: { PREFIX: 'api/' } }, '/users')).path, '/api/users');
  });

  it('rejects an empty or missing prefix', () => {
    rejects({ addPrefix: { prefix: '' } }, 'http.middlewares.m.addPrefix.prefix');
    rejects({ addPrefix: {} }, 'http.middlewares.m.addPrefix.prefix');
  });
});

describe('replacePath', () => {
  it('forwards to the configured path, keeps the query and records the original path', async () => {
    const echo = await pathAfter({ replacePath: { path: '/foo' } }, '/bar/baz?x=1');
    assert.equal(echo.path, '/foo');
    assert.equal(echo.query, 'x=1');
    assert.equal(echo.headers['x-replaced-path'], '/bar/baz');
  });

  it('rejects a path that is not a string', () => {
    rejects({ replacePath: { path: ['/a'] } }, 'http.middlewares.m.replacePath.path');
  });
});

describe('replacePathRegex', () => {
  const config = { replacePathRegex: { regex: '^/foo/(.*)', replacement: '/bar/$1' } };

  it('rewrites the path with capture groups and records the original path', async () => {
    const echo = await pathAfter(config, '/foo/a/b?x=1');
    assert.equal(echo.path, '/bar/a/b');
    assert.equal(echo.query, 'x=1');
    assert.equal(echo.headers['x-replaced-path'], '/foo/a/b');
  });

  it('leaves a path that does not match alone, without X-Replaced-Path', async () => {
    const echo = await pathAfter(config, '/other');
    assert.equal(echo.path, '/other');
    assert.equal(echo.headers['x-replaced-path'], undefined);
  });

  it('replaces every match and expands Go template forms', async () => {
    assert.equal(
      (await pathAfter({ replacePathRegex: { regex: 'o', replacement: '0' } }, '/foo/boo')).path,
      '/f00/b00',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement templates, not JavaScript ones
    const named = { replacePathRegex: { regex: '^/(?P<ver>v\\d+)/(.*)', replacement: '/${2}/api-${ver}/$$' } };
    assert.equal((await pathAfter(named, '/v3/items')).path, '/items/api-v3/$');
    // As in Go, `$1x` names group "1x", which does not exist, so it expands to nothing.
    assert.equal((await pathAfter({ replacePathRegex: { regex: '^/(a)', replacement: '/$1x' } }, '/a')).path, '/');
  });

  it('works on the escaped path, as Traefik does', async () => {
    const echo = await pathAfter({ replacePathRegex: { regex: '%20', replacement: '-' } }, '/a%20b');
    assert.equal(echo.path, '/a-b');
    assert.equal(echo.headers['x-replaced-path'], '/a%20b');
  });

  it('rejects a bad regexp or a missing replacement with the key path', () => {
    rejects({ replacePathRegex: { regex: '(', replacement: '/' } }, 'http.middlewares.m.replacePathRegex.regex');
    rejects({ replacePathRegex: { regex: '^/a' } }, 'http.middlewares.m.replacePathRegex.replacement');
  });
});
