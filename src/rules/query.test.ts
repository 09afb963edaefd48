import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery } from './query.js';

describe('parseQuery', () => {
  const cases: Array<[query: string, parsed: Record<string, string[]>]> = [
    ['', {}],
    ['a=1&b=2&a=3', { a: ['1', '3'], b: ['2'] }],
    ['q=a+b&r=a%20b', { q: ['a b'], r: ['a b'] }],
    ['flag&empty=', { flag: [''], empty: [''] }],
    ['k%C3%A9=v%C3%A9', { ké: ['vé'] }],
    ['a=1;b=2&c=3', { c: ['3'] }], // Go drops pairs containing ';'
    ['bad=%zz&ok=1', { ok: ['1'] }], // and pairs with a malformed escape
    ['&&x=1&', { x: ['1'] }],
    ['eq=a=b', { eq: ['a=b'] }],
  ];
  for (const [query, parsed] of cases) {
    it(`parses ${JSON.stringify(query)} as Go's url.ParseQuery does`, () => {
      assert.deepEqual(Object.fromEntries(parseQuery(query)), parsed);
    });
  }
});
