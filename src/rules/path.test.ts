import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routingPath } from './path.js';

describe('routingPath', () => {
  const cases: Array<[raw: string, routing: string]> = [
    ['/plain/path', '/plain/path'],
    ['/a%62c', '/abc'],
    ['/%7Euser', '/~user'],
    ['/caf%C3%A9', '/café'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%3Fb', '/a%3Fb'],
    ['/a%25b', '/a%25b'],
    ['/a%23b', '/a%23b'],
    ['/a%3Bb%3Dc%26d%2Be%40f%3Ag', '/a%3Bb%3Dc%26d%2Be%40f%3Ag'],
    ['/a%20b', '/a b'],
    ['/%41%2F%42', '/A%2FB'],
    ['/bad%zz', '/bad%zz'],
    ['/trailing%4', '/trailing%4'],
    ['/%FF', '/%FF'],
    ['', ''],
  ];
  for (const [raw, routing] of cases) {
    it(`routes ${JSON.stringify(raw)} as ${JSON.stringify(routing)}`, () => {
      assert.equal(routingPath(raw), routing);
    });
  }
});
