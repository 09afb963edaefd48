import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { buildMiddleware } from './registry.js';

describe('chain', () => {
  const configs = {
    strip: { stripPrefix: { prefixes: ['/api'] } },
    add: { addPrefix: { prefix: '/v2' } },
    tag: { headers: { customRequestHeaders: { 'X-Tag': 'chained' } } },
    toHttps: { redirectScheme: { scheme: 'https' } },
  };

  it('applies its middlewares in the listed order', async () => {
    const server = await serve({ chain: { middlewares: ['strip', 'add', 'tag'] } }, { configs });
    try {
      const { echo } = await server.request('/api/users');
      assert.equal(echo?.path, '/v2/users');
      assert.equal(echo?.headers['x-tag'], 'chained');
    } finally {
      await server.close();
    }
  });

  it('gives a different result in the other order', async () => {
    const server = await serve({ chain: { middlewares: 'add, strip' } }, { configs });
    try {
      // /api/users → /v2/api/users, which no longer starts with /api.
      assert.equal((await server.request('/api/users')).echo?.path, '/v2/api/users');
    } finally {
      await server.close();
    }
  });

  it('stops at a middleware that answers by itself', async () => {
    const server = await serve({ Chain: { Middlewares: ['toHttps', 'tag'] } }, { configs });
    try {
      const reply = await server.request('/api');
      assert.equal(reply.status, 302);
      assert.equal(reply.echo, null);
    } finally {
      await server.close();
    }
  });

  it('can nest another chain', async () => {
    const nested = { ...configs, inner: { chain: { middlewares: ['strip', 'add'] } } };
    const server = await serve({ chain: { middlewares: ['inner', 'tag'] } }, { configs: nested });
    try {
      const { echo } = await server.request('/api/x');
      assert.equal(echo?.path, '/v2/x');
      assert.equal(echo?.headers['x-tag'], 'chained');
    } finally {
      await server.close();
    }
  });

  it('rejects an unknown member naming the position in the list', () => {
    assert.throws(
      () => buildMiddleware('c', { chain: { middlewares: ['strip', 'missing'] } }, buildContext('c', configs)),
      (error: unknown) =>
        error instanceof Error &&
        error.name === 'MiddlewareError' &&
        error.message.includes('http.middlewares.c.chain.middlewares.1') &&
        error.message.includes('missing'),
    );
  });

  it('reports a broken member with the member own key path', () => {
    const broken = { ...configs, bad: { addPrefix: { prefix: 1 } } };
    assert.throws(
      () => buildMiddleware('c', { chain: { middlewares: ['bad'] } }, buildContext('c', broken)),
      /http\.middlewares\.bad\.addPrefix\.prefix/,
    );
  });
});
