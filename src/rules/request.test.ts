import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleSyntaxError } from '../errors.js';
import { compileRule, toMatchInput } from './request.js';

describe('toMatchInput', () => {
  it('takes path, query and Host header from an origin-form request', () => {
    const input = toMatchInput({
      method: 'GET',
      url: '/caf%C3%A9/a%2Fb?x=1&y=2',
      headers: { host: 'Example.com:8080' },
      remoteAddress: '::ffff:10.0.0.1',
    });
    assert.equal(input.host, 'example.com');
    assert.equal(input.path, '/café/a%2Fb');
    assert.equal(input.query, 'x=1&y=2');
    assert.equal(input.remoteAddress, '::ffff:10.0.0.1');
  });

  it('takes the host from the authority of an absolute-form request, not from the Host header', () => {
    const input = toMatchInput({
      method: 'GET',
      url: 'http://user@API.example.com:81/v1?q',
      headers: { host: 'other' },
    });
    assert.equal(input.host, 'api.example.com');
    assert.equal(input.path, '/v1');
    assert.equal(input.query, 'q');
  });

  it('gives an absolute-form request with no path the path /', () => {
    const input = toMatchInput({ method: 'GET', url: 'http://[::1]:8080?a=b', headers: {} });
    assert.equal(input.host, '::1');
    assert.equal(input.path, '/');
    assert.equal(input.query, 'a=b');
  });

  it('lower-cases header names that arrive in any case and keeps every value', () => {
    const input = toMatchInput({ method: 'GET', url: '/', headers: { HOST: 'a.com', 'X-Tag': 'one', 'x-tag': 'two' } });
    assert.equal(input.host, 'a.com');
    assert.deepEqual(input.headers['x-tag'], ['one', 'two']);
  });

  it('uses an empty host and remote address when the request has none', () => {
    const input = toMatchInput({ method: 'GET', url: '/', headers: {} });
    assert.equal(input.host, '');
    assert.equal(input.remoteAddress, '');
    assert.equal(input.query, '');
  });
});

describe('compileRule', () => {
  const rule = compileRule('Host(`example.com`) && PathPrefix(`/api`) && !Query(`debug`)');
  const cases: Array<[url: string, headers: Record<string, string>, expected: boolean]> = [
    ['/api/users', { host: 'example.com' }, true],
    ['/api/users', { Host: 'EXAMPLE.com.' }, true],
    ['/api/users?debug=1', { host: 'example.com' }, false],
    ['/web', { host: 'example.com' }, false],
    ['http://example.com/api', { host: 'elsewhere.org' }, true],
    ['http://elsewhere.org/api', { host: 'example.com' }, false],
    ['/%61pi/x', { host: 'example.com' }, true],
  ];
  for (const [url, headers, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${url} with ${JSON.stringify(headers)}`, () => {
      assert.equal(rule({ method: 'GET', url, headers }), expected);
    });
  }

  it('matches ClientIP against the remote address', () => {
    const local = compileRule('ClientIP(`127.0.0.0/8`)');
    assert.equal(local({ method: 'GET', url: '/', headers: {}, remoteAddress: '127.0.0.1' }), true);
    assert.equal(local({ method: 'GET', url: '/', headers: {}, remoteAddress: '10.0.0.1' }), false);
    assert.equal(local({ method: 'GET', url: '/', headers: {} }), false);
  });

  it('throws RuleSyntaxError when the rule is invalid', () => {
    assert.throws(() => compileRule('Host(`a`) &&'), RuleSyntaxError);
  });
});
