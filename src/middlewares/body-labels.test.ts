import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext } from '../../test/helpers/middleware-harness.js';
import { labelsToTree } from '../config/labels.js';
import { buildMiddleware } from './registry.js';

/** The middlewares of a label set, as the Docker and KV providers decode them. */
function middlewaresOf(labels: Record<string, string>): Record<string, Record<string, unknown>> {
  const tree = labelsToTree(labels, 'traefik') as { http: { middlewares: Record<string, Record<string, unknown>> } };
  return tree.http.middlewares;
}

describe('compress, buffering and plugin from labels', () => {
  it('builds from Traefik labels: comma-separated lists, numbers as strings, any key case', () => {
    const middlewares = middlewaresOf({
      'traefik.http.middlewares.gz.compress.encodings': 'br,gzip',
      'traefik.http.middlewares.gz.compress.excludedcontenttypes': 'image/png, text/event-stream',
      'traefik.http.middlewares.gz.compress.minResponseBodyBytes': '2048',
      'traefik.http.middlewares.buf.buffering.maxRequestBodyBytes': '1000000',
      'traefik.http.middlewares.buf.buffering.memresponsebodybytes': '4096',
      'traefik.http.middlewares.p.plugin.stamp.headers.X-Stamp': 'yes',
    });
    for (const name of ['gz', 'buf']) {
      assert.equal(typeof buildMiddleware(name, middlewares[name]!, buildContext(name)), 'function');
    }
    assert.deepEqual(middlewares.p, { plugin: { stamp: { headers: { 'X-Stamp': 'yes' } } } });
    assert.throws(
      () =>
        buildMiddleware(
          'gz',
          middlewaresOf({ 'traefik.http.middlewares.gz.compress.encodings': 'gzip,lz4' }).gz!,
          buildContext('gz'),
        ),
      /http\.middlewares\.gz\.compress\.encodings\.1: unsupported encoding/,
    );
  });
});
