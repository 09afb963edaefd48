import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { buildMiddleware, findMiddlewareType, middlewareTypes } from './registry.js';

function buildError(name: string, config: Record<string, unknown>): MiddlewareError {
  try {
    buildMiddleware(name, config, buildContext(name));
  } catch (error) {
    assert.ok(error instanceof MiddlewareError, `expected MiddlewareError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the build to throw');
}

describe('middleware registry', () => {
  it('lists every built-in type in Traefik spelling', () => {
    assert.deepEqual(middlewareTypes(), [
      'addPrefix',
      'basicAuth',
      'buffering',
      'chain',
      'circuitBreaker',
      'compress',
      'contentType',
      'digestAuth',
      'encodedCharacters',
      'errors',
      'forwardAuth',
      'grpcWeb',
      'headers',
      'inFlightReq',
      'ipAllowList',
      'ipWhiteList',
      'passTLSClientCert',
      'plugin',
      'rateLimit',
      'redirectRegex',
      'redirectScheme',
      'replacePath',
      'replacePathRegex',
      'retry',
      'stripPrefix',
      'stripPrefixRegex',
    ]);
  });

  it('finds a type whatever the case of its name', () => {
    assert.equal(findMiddlewareType('stripprefix')?.type, 'stripPrefix');
    assert.equal(findMiddlewareType('STRIPPREFIX')?.type, 'stripPrefix');
    assert.equal(findMiddlewareType('nope'), undefined);
  });

  it('builds a lower-case type with lower-case option keys, as Docker labels write them', async () => {
    const server = await serve({ stripprefix: { prefixes: '/api' } });
    try {
      const reply = await server.request('/api/users');
      assert.equal(reply.echo?.path, '/users');
    } finally {
      await server.close();
    }
  });

  it('rejects an unknown type with its key path and the known types', () => {
    const error = buildError('web', { stripPrefixx: {} });
    assert.equal(error.code, 'SY_ERR_MIDDLEWARE');
    assert.equal(error.location, 'http.middlewares.web.stripPrefixx');
    assert.match(error.message, /http\.middlewares\.web\.stripPrefixx: unknown middleware type/);
    assert.match(error.message, /stripPrefix/);
  });

  it('rejects a middleware with no type or with two types', () => {
    assert.match(buildError('m', {}).message, /^http\.middlewares\.m: a middleware needs exactly one type/);
    assert.match(
      buildError('m', { addPrefix: { prefix: '/a' }, stripPrefix: {} }).message,
      /got addPrefix and stripPrefix/,
    );
  });

  it('names the offending option with its full key path in Traefik spelling', () => {
    const error = buildError('strip', { stripprefix: { Prefixes: 42 } });
    assert.equal(error.location, 'http.middlewares.strip.stripPrefix.prefixes');
    assert.match(error.message, /^http\.middlewares\.strip\.stripPrefix\.prefixes: /);
  });

  it('rejects an option the type does not have, naming it', () => {
    const error = buildError('strip', { stripPrefix: { prefixes: ['/a'], prefix: '/b' } });
    assert.match(error.message, /http\.middlewares\.strip\.stripPrefix/);
    assert.match(error.message, /prefix/);
  });

  it('names the list index of a bad element', () => {
    const error = buildError('h', { headers: { customRequestHeaders: { 'Bad Name': 'x' } } });
    assert.match(error.message, /http\.middlewares\.h\.headers\.customRequestHeaders/);
  });
});
