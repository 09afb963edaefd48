import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildContext, serve, type TestServer } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { buildMiddleware } from './registry.js';

describe('stripPrefix', () => {
  let server: TestServer;
  before(async () => {
    server = await serve({ stripPrefix: { prefixes: ['/api', '/api/v1', '/slash/'] } });
  });
  after(() => server.close());

  it('removes the matching prefix and keeps the query', async () => {
    const { echo } = await server.request('/api/users?id=3');
    assert.equal(echo?.path, '/users');
    assert.equal(echo?.query, 'id=3');
  });

  it('tells the backend the removed prefix in X-Forwarded-Prefix and on the context', async () => {
    const { echo } = await server.request('/api/users');
    assert.equal(echo?.headers['x-forwarded-prefix'], '/api');
    assert.equal(echo?.strippedPrefix, '/api');
  });

  it('prefers the longest matching prefix whatever the listed order', async () => {
    const { echo } = await server.request('/api/v1/users');
    assert.equal(echo?.path, '/users');
    assert.equal(echo?.headers['x-forwarded-prefix'], '/api/v1');
  });

  it('always forwards a path that starts with a slash', async () => {
    assert.equal((await server.request('/api')).echo?.path, '/');
    assert.equal((await server.request('/slash/x')).echo?.path, '/x');
    // A plain string prefix, as in Traefik: /api also matches /apidocs.
    assert.equal((await server.request('/apidocs')).echo?.path, '/docs');
  });

  it('leaves a path without a matching prefix untouched', async () => {
    const { echo } = await server.request('/other/api');
    assert.equal(echo?.path, '/other/api');
    assert.equal(echo?.headers['x-forwarded-prefix'], undefined);
    assert.equal(echo?.strippedPrefix, null);
  });

  it('does not let a client-sent X-Forwarded-Prefix through when it strips', async () => {
    const { echo } = await server.request('/api/x', { headers: { 'x-forwarded-prefix': '/evil' } });
    assert.equal(echo?.headers['x-forwarded-prefix'], '/api');
  });

  it('accepts a comma-separated label value and forceSlash as a string', async () => {
    const labelled = await serve({ stripprefix: { prefixes: '/foobar, /fiibar', forceslash: 'false' } });
    try {
      assert.equal((await labelled.request('/fiibar/a')).echo?.path, '/a');
    } finally {
      await labelled.close();
    }
  });

  it('reports the whole removed prefix when two strips run in a row', async () => {
    const configs = { a: { stripPrefix: { prefixes: ['/a/'] } }, b: { stripPrefix: { prefixes: ['/b'] } } };
    const chained = await serve({ chain: { middlewares: ['a', 'b'] } }, { configs });
    try {
      const { echo } = await chained.request('/a/b/c');
      assert.equal(echo?.path, '/c');
      assert.equal(echo?.headers['x-forwarded-prefix'], '/a/b');
    } finally {
      await chained.close();
    }
  });

  it('rejects prefixes that are not strings with the key path', () => {
    assert.throws(
      () => buildMiddleware('s', { stripPrefix: { prefixes: [1] } }, buildContext('s')),
      (error: unknown) =>
        error instanceof MiddlewareError && error.message.includes('http.middlewares.s.stripPrefix.prefixes'),
    );
    assert.throws(
      () => buildMiddleware('s', { stripPrefix: { forceSlash: 'maybe' } }, buildContext('s')),
      /http\.middlewares\.s\.stripPrefix\.forceSlash/,
    );
  });
});
