import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleSyntaxError } from '../errors.js';
import { readInterpretedString, readRawString } from './go-string.js';

describe('Go string literals', () => {
  const interpreted: Array<[literal: string, value: string]> = [
    ['"plain"', 'plain'],
    ['"\\\\d+"', '\\d+'],
    ['"a\\"b"', 'a"b'],
    ['"\\t\\n\\r\\a\\b\\f\\v"', '\t\n\r\x07\b\f\v'],
    ['"\\x41\\102"', 'AB'],
    ['"\\xc3\\xa9"', 'é'],
    ['"\\u00e9\\U0001F600"', 'é😀'],
    ['"é😀"', 'é😀'],
    ['""', ''],
  ];
  for (const [literal, value] of interpreted) {
    it(`decodes ${literal} as Go does`, () => {
      assert.deepEqual(readInterpretedString(literal, 0), { value, end: literal.length });
    });
  }

  const invalid: Array<[literal: string, position: number]> = [
    ['"\\d"', 1],
    ['"\\\'"', 1],
    ['"ab\\q"', 3],
    ['"\\x4"', 1],
    ['"\\400"', 1],
    ['"\\12"', 1],
    ['"\\uD800"', 1],
    ['"\\U00110000"', 1],
    ['"abc', 0],
    ['"a\nb"', 2],
  ];
  for (const [literal, position] of invalid) {
    it(`rejects ${JSON.stringify(literal)} at offset ${position}`, () => {
      assert.throws(
        () => readInterpretedString(literal, 0),
        (error) => error instanceof RuleSyntaxError && error.position === position,
      );
    });
  }

  it('reads a raw string verbatim, backslashes included, and drops carriage returns', () => {
    assert.deepEqual(readRawString('x`a\\d\r\nb`', 1), { value: 'a\\d\nb', end: 9 });
  });

  it('rejects an unterminated raw string at its opening backtick', () => {
    assert.throws(
      () => readRawString('  `abc', 2),
      (error) => error instanceof RuleSyntaxError && error.position === 2,
    );
  });
});
