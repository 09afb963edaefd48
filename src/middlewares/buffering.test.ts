import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildContext } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { buildMiddleware } from './registry.js';
import { SPILL_PREFIX, SpillBuffer } from './spill-buffer.js';

function mine(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`${SPILL_PREFIX}${process.pid}-`));
}

describe('buffering', () => {
  it('keeps a body in memory up to the threshold, copying chunks it does not own', () => {
    const buffer = new SpillBuffer(10, () => undefined, assert.fail);
    const chunk = Buffer.from('hello');
    assert.equal(buffer.write(chunk, false), true);
    chunk.fill(0);
    assert.equal(buffer.spilled, false);
    assert.equal(buffer.memory().toString(), 'hello');
    buffer.dispose();
  });

  it('spills to a private temporary file above the threshold and removes it on dispose', async () => {
    const buffer = new SpillBuffer(4, () => undefined, assert.fail);
    buffer.write(Buffer.from('abc'), true);
    buffer.write(Buffer.from('defg'), true);
    assert.equal(buffer.spilled, true);
    await new Promise<void>((resolve) => buffer.finish(resolve));
    const files = mine();
    assert.equal(files.length, 1);
    const path = join(tmpdir(), files[0]!);
    assert.equal(readFileSync(path, 'utf8'), 'abcdefg');
    const chunks: Buffer[] = [];
    for await (const chunk of buffer.open()) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'abcdefg');
    buffer.dispose();
    for (let i = 0; i < 50 && existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(existsSync(path), false);
  });

  it('validates its options with the key path', () => {
    assert.throws(
      () => buildMiddleware('b', { buffering: { maxRequestBodyBytes: -1 } }, buildContext('b')),
      (error: unknown) => error instanceof MiddlewareError && /buffering\.maxRequestBodyBytes/.test(error.message),
    );
    assert.throws(
      () => buildMiddleware('b', { buffering: { memRequestBodyByte: 1 } }, buildContext('b')),
      /unknown option/,
    );
    const warnings: string[] = [];
    buildMiddleware(
      'b',
      { buffering: { retryExpression: 'IsNetworkError() && Attempts() < 2' } },
      { ...buildContext('b'), warn: (m) => warnings.push(m) },
    );
    assert.deepEqual(warnings, []);
    assert.throws(
      () => buildMiddleware('b', { buffering: { retryExpression: 'Attempts() <' } }, buildContext('b')),
      /http\.middlewares\.b\.buffering\.retryExpression: expected a number at position 12$/,
    );
  });
});
