import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext } from '../../test/helpers/middleware-harness.js';
import { detectContentType } from './mime-sniff.js';
import { buildMiddleware } from './registry.js';

describe('content sniffing (Go DetectContentType)', () => {
  const cases: Array<[string, Buffer | string, string]> = [
    ['HTML after whitespace, any case', '  \n<!doctype html><p>x', 'text/html; charset=utf-8'],
    ['an HTML comment', '<!-- c -->', 'text/html; charset=utf-8'],
    ['a tag needing a space or >', '<pre>x', 'text/plain; charset=utf-8'],
    ['XML', '<?xml version="1.0"?><a/>', 'text/xml; charset=utf-8'],
    ['PDF', '%PDF-1.7', 'application/pdf'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]), 'image/png'],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
    ['GIF', 'GIF89a....', 'image/gif'],
    ['WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'image/webp'],
    ['WAVE', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]), 'audio/wave'],
    [
      'MP4',
      Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(4), Buffer.from('mp41isom')]),
      'video/mp4',
    ],
    ['woff2', 'wOF2abcd', 'font/woff2'],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0]), 'application/x-gzip'],
    ['zip', Buffer.from('PK\x03\x04rest', 'latin1'), 'application/zip'],
    ['wasm', Buffer.from('\x00asm\x01\x00\x00\x00', 'latin1'), 'application/wasm'],
    ['a UTF-8 BOM', Buffer.from([0xef, 0xbb, 0xbf, 0x41]), 'text/plain; charset=utf-8'],
    ['JSON (plain text to Go)', '{"a":1}', 'text/plain; charset=utf-8'],
    ['binary bytes', Buffer.from([1, 2, 3, 4]), 'application/octet-stream'],
  ];
  for (const [what, data, type] of cases) {
    it(`detects ${what}`, () => {
      assert.equal(detectContentType(typeof data === 'string' ? Buffer.from(data) : data), type);
    });
  }

  it('looks at 512 bytes at most', () => {
    assert.equal(
      detectContentType(Buffer.concat([Buffer.from('a'.repeat(512)), Buffer.from([0])])),
      'text/plain; charset=utf-8',
    );
  });
});

describe('contentType options', () => {
  it('reports autoDetect as deprecated; autoDetect false does nothing', () => {
    const warnings: string[] = [];
    const context = { ...buildContext('ct'), warn: (message: string) => warnings.push(message) };
    const next = () => undefined;
    assert.equal(buildMiddleware('ct', { contentType: { autoDetect: 'false' } }, context)(next), next);
    assert.notEqual(buildMiddleware('ct', { contentType: { autoDetect: true } }, context)(next), next);
    assert.notEqual(buildMiddleware('ct', { contentType: {} }, context)(next), next);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /autoDetect is deprecated/);
  });
});
