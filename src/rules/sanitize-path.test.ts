import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedEncodings, refusedEscape, sanitizePath } from './sanitize-path.js';

describe('sanitizePath', () => {
  const cases: Array<[raw: string, cleaned: string]> = [
    ['/', '/'],
    ['/plain/path', '/plain/path'],
    ['/admin/', '/admin/'],
    ['//admin', '/admin'],
    ['/admin//x', '/admin/x'],
    ['/./admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/../admin', '/admin'],
    ['/a/b/../../admin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['/%2E%2e/admin', '/admin'],
    ['/%2e/admin', '/admin'],
    ['/.%2e/admin', '/admin'],
    ['/x/%2e%2e/admin', '/admin'],
    ['/admin/./x', '/admin/x'],
    ['/x/..', '/'],
    ['/x/.', '/x/'],
    ['/x/..y/z', '/x/..y/z'],
    ['/.hidden/file', '/.hidden/file'],
    ['/%41dmin', '/Admin'],
    ['/a%2fb', '/a%2Fb'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/bad%zz', '/bad%zz'],
    ['*', '*'],
  ];
  for (const [raw, cleaned] of cases) {
    it(`cleans ${JSON.stringify(raw)} to ${JSON.stringify(cleaned)}`, () => {
      assert.equal(sanitizePath(raw), cleaned);
    });
  }

  it('returns a path that needs no cleaning as the same string', () => {
    const path = '/api/v1/items';
    assert.equal(sanitizePath(path), path);
  });
});

describe('encoded characters refused in paths', () => {
  it('refuses each dangerous escape by default, in either case', () => {
    for (const encoded of ['%2F', '%2f', '%5C', '%5c', '%00', '%3B', '%3b', '%25', '%3F', '%3f', '%23']) {
      assert.equal(refusedEscape(`/a${encoded}b`, 0), encoded, encoded);
    }
  });

  it('lets through escapes that are not dangerous, and malformed ones', () => {
    assert.equal(refusedEscape('/caf%C3%A9/%41/%zz/%2', 0), null);
  });

  it('lets through an escape its option allows, and only that one', () => {
    const mask = allowedEncodings({ allowEncodedSlash: true });
    assert.equal(refusedEscape('/a%2Fb', mask), null);
    assert.equal(refusedEscape('/a%2Fb%3B', mask), '%3B');
  });

  it('maps every option to its escape', () => {
    const all = allowedEncodings({
      allowEncodedSlash: true,
      allowEncodedBackSlash: true,
      allowEncodedNullCharacter: true,
      allowEncodedSemicolon: true,
      allowEncodedPercent: true,
      allowEncodedQuestionMark: true,
      allowEncodedHash: true,
    });
    assert.equal(refusedEscape('/%2F%5C%00%3B%25%3F%23', all), null);
  });
});
