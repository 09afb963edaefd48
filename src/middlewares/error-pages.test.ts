import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext } from '../../test/helpers/middleware-harness.js';
import type { Handler } from '../core/request-context.js';
import { MiddlewareError } from '../errors.js';
import { parseStatusRanges, queryEscape } from './error-pages.js';
import { buildMiddleware } from './registry.js';

describe('errors: status ranges and query escaping', () => {
  it('reads statuses, ranges and comma-separated mixes as Traefik does', () => {
    assert.deepEqual(parseStatusRanges(['500-599'], 'status'), [[500, 599]]);
    assert.deepEqual(parseStatusRanges(['404,418, 500-503', '502'], 'status'), [
      [404, 404],
      [418, 418],
      [500, 503],
      [502, 502],
    ]);
    assert.throws(() => parseStatusRanges(['5xx'], 'status'), /status\.0|invalid status/);
    assert.throws(() => parseStatusRanges(['500-'], 'status'));
    assert.throws(() => parseStatusRanges(['1-2-3'], 'status'));
  });

  it('escapes {url} as Go url.QueryEscape', () => {
    assert.equal(
      queryEscape("http://a.test/x y?q=1&r=(2)!*'~"),
      'http%3A%2F%2Fa.test%2Fx+y%3Fq%3D1%26r%3D%282%29%21%2A%27~',
    );
  });

  it('names the key of bad options and needs its service', () => {
    const error = (config: Record<string, unknown>, service?: (name: string) => Handler): string => {
      try {
        buildMiddleware('e', config, { ...buildContext('e'), service });
      } catch (thrown) {
        assert.ok(thrown instanceof MiddlewareError);
        return thrown.message;
      }
      assert.fail('expected the build to throw');
    };
    const none = (name: string): Handler => {
      throw new Error(`the service "${name}@file" does not exist`);
    };
    const ok = (): Handler => () => undefined;
    assert.match(error({ errors: { status: ['500'] } }, ok), /errors\.service: required option is missing/);
    assert.match(
      error({ errors: { status: ['5xx'], service: 'p' } }, ok),
      /errors\.status\.0: invalid status or range "5xx"/,
    );
    assert.match(
      error({ errors: { status: ['500'], service: 'p', statusRewrites: { '500': 999 } } }, ok),
      /errors\.statusRewrites\.500: invalid HTTP status code 999/,
    );
    assert.match(
      error({ errors: { status: ['500'], service: 'p' } }, none),
      /errors\.service: the service "p@file" does not exist/,
    );
    assert.equal(
      typeof buildMiddleware(
        'e',
        { errors: { status: [500, '404'], service: 'p' } },
        { ...buildContext('e'), service: ok },
      ),
      'function',
    );
  });
});
