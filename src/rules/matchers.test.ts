import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleSyntaxError } from '../errors.js';
import { compileRuleMatcher } from './compile.js';
import type { MatchInput } from './types.js';

function request(overrides: Partial<MatchInput> = {}): MatchInput {
  return { method: 'GET', host: 'example.com', path: '/', query: '', headers: {}, remoteAddress: '', ...overrides };
}

type Row = [rule: string, overrides: Partial<MatchInput>, expected: boolean];

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const [rule, overrides, expected] of rows) {
      it(`${rule} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(overrides)}`, () => {
        assert.equal(compileRuleMatcher(rule).match(request(overrides)), expected);
      });
    }
  });
}

table('Host', [
  ['Host(`example.com`)', { host: 'example.com' }, true],
  ['Host(`Example.COM`)', { host: 'example.com' }, true],
  ['Host(`example.com.`)', { host: 'example.com' }, true],
  ['Host(`example.com`)', { host: 'www.example.com' }, false],
  ['Host(`example.com:8080`)', { host: 'example.com' }, false],
  ['Host(`*`)', { host: 'anything.at.all' }, true],
  ['Host(`*`)', { host: '' }, true],
  ['Host(`*.example.com`)', { host: 'api.example.com' }, true],
  ['Host(`*.example.com`)', { host: 'a.b.example.com' }, false],
  ['Host(`*.example.com`)', { host: 'example.com' }, false],
  ['Host(`*.example.com`)', { host: '.example.com' }, false],
  ['Host(`*.example.com`)', { host: 'apiexample.com' }, false],
  ['Host(`**.example.com`)', { host: 'a.b.example.com' }, true],
  ['Host(`**.example.com`)', { host: 'example.com' }, false],
  ['Host(`::1`)', { host: '::1' }, true],
]);

table('HostRegexp', [
  ['HostRegexp(`^[a-z]+\\.example\\.com$`)', { host: 'api.example.com' }, true],
  ['HostRegexp(`^[a-z]+\\.example\\.com$`)', { host: 'api2.example.com' }, false],
  ['HostRegexp(`example`)', { host: 'www.example.org' }, true],
  ['HostRegexp("^(?P<sub>\\\\w+)\\\\.local$")', { host: 'app.local' }, true],
]);

table('Path and PathPrefix', [
  ['Path(`/api`)', { path: '/api' }, true],
  ['Path(`/api`)', { path: '/api/' }, false],
  ['Path(`/api`)', { path: '/API' }, false],
  ['PathPrefix(`/css`)', { path: '/cssfoo' }, true],
  ['PathPrefix(`/css`)', { path: '/css/site.css' }, true],
  ['PathPrefix(`/css`)', { path: '/c' }, false],
  ['PathPrefix(`/`)', { path: '/anything' }, true],
  ['Path(`/a%2Fb`)', { path: '/a%2Fb' }, true],
  ['Path(`/a/b`)', { path: '/a%2Fb' }, false],
]);

table('PathRegexp', [
  ['PathRegexp(`^/users/[0-9]+$`)', { path: '/users/42' }, true],
  ['PathRegexp(`^/users/[0-9]+$`)', { path: '/users/me' }, false],
  ['PathRegexp(`\\.(css|js)$`)', { path: '/static/app.js' }, true],
  ['PathRegexp(`(?i)^/ADMIN`)', { path: '/admin/x' }, true],
]);

table('Method', [
  ['Method(`GET`)', { method: 'GET' }, true],
  ['Method(`get`)', { method: 'GET' }, true],
  ['Method(`GET`)', { method: 'get' }, false],
  ['Method(`POST`)', { method: 'GET' }, false],
]);

table('Header', [
  ['Header(`X-Env`, `prod`)', { headers: { 'x-env': 'prod' } }, true],
  ['Header(`x-ENV`, `prod`)', { headers: { 'x-env': 'prod' } }, true],
  ['Header(`X-Env`, `prod`)', { headers: { 'x-env': 'Prod' } }, false],
  ['Header(`X-Env`, `prod`)', { headers: { 'x-env': 'prod, dev' } }, false],
  ['Header(`X-Env`, `prod`)', { headers: { 'x-env': ['dev', 'prod'] } }, true],
  ['Header(`X-Env`, `prod`)', { headers: {} }, false],
  ['HeaderRegexp(`X-Env`, `^pr`)', { headers: { 'x-env': 'prod' } }, true],
  ['HeaderRegexp(`X-Env`, `^pr`)', { headers: { 'x-env': ['dev', 'preprod'] } }, true],
  ['HeaderRegexp(`X-Env`, `^pr`)', { headers: { 'x-env': ['dev', 'staging'] } }, false],
  ['HeaderRegexp(`X-Env`, `.*`)', { headers: {} }, false],
]);

table('Query', [
  ['Query(`mobile`, `true`)', { query: 'mobile=true' }, true],
  ['Query(`mobile`, `true`)', { query: 'mobile=false&mobile=true' }, true],
  ['Query(`mobile`, `true`)', { query: 'Mobile=true' }, false],
  ['Query(`q`, `a b`)', { query: 'q=a+b' }, true],
  ['Query(`q`, `a b`)', { query: 'q=a%20b' }, true],
  ['Query(`mobile`)', { query: 'mobile=whatever' }, true],
  ['Query(`mobile`)', { query: 'mobile' }, true],
  ['Query(`mobile`)', { query: 'other=1' }, false],
  ['QueryRegexp(`id`, `^[0-9]+$`)', { query: 'id=x&id=12' }, true],
  ['QueryRegexp(`id`, `^[0-9]+$`)', { query: 'id=x' }, false],
  ['QueryRegexp(`id`, `^[0-9]+$`)', { query: '' }, false],
  ['QueryRegexp(`id`)', { query: 'id=1' }, true],
]);

table('ClientIP', [
  ['ClientIP(`10.0.0.0/8`)', { remoteAddress: '10.2.3.4' }, true],
  ['ClientIP(`10.0.0.0/8`)', { remoteAddress: '::ffff:10.2.3.4' }, true],
  ['ClientIP(`10.0.0.0/8`)', { remoteAddress: '192.168.0.1' }, false],
  ['ClientIP(`10.0.0.0/8`)', { remoteAddress: '' }, false],
  ['ClientIP(`192.168.1.7`)', { remoteAddress: '192.168.1.7' }, true],
  ['ClientIP(`2001:db8::/32`)', { remoteAddress: '2001:db8::1' }, true],
  ['ClientIP(`::1`)', { remoteAddress: '::1' }, true],
  ['ClientIP(`::1`)', { remoteAddress: '127.0.0.1' }, false],
]);

table('operators', [
  ['Host(`a`) && Path(`/x`)', { host: 'a', path: '/x' }, true],
  ['Host(`a`) && Path(`/x`)', { host: 'a', path: '/y' }, false],
  ['Host(`a`) || Path(`/x`)', { host: 'b', path: '/x' }, true],
  ['!Host(`a`)', { host: 'b' }, true],
  ['!Host(`a`)', { host: 'a' }, false],
  // && binds tighter than ||: true || (false && false)
  ['Host(`a`) || Host(`b`) && Path(`/x`)', { host: 'a', path: '/y' }, true],
  ['(Host(`a`) || Host(`b`)) && Path(`/x`)', { host: 'a', path: '/y' }, false],
  // ! binds tighter than &&: (!false) && true
  ['!Host(`b`) && Path(`/x`)', { host: 'a', path: '/x' }, true],
  ['!(Host(`a`) && Path(`/y`))', { host: 'a', path: '/x' }, true],
  ['Method(`GET`) && Host(`a`) && Path(`/x`)', { host: 'a', path: '/x' }, true],
  ['Method(`PUT`) || Host(`z`) || Path(`/x`)', { host: 'a', path: '/x' }, true],
  ['Method(`PUT`) || Host(`z`) || Path(`/q`)', { host: 'a', path: '/x' }, false],
]);

describe('matcher argument validation', () => {
  const invalid: Array<[rule: string, position: number, fragment: RegExp]> = [
    ['Path(`api`)', 5, /does not start with a '\/'/],
    ['PathPrefix(`api`)', 11, /does not start with a '\/'/],
    ['Host(`bücher.de`)', 5, /non-ASCII/],
    ['HostRegexp(`ü`)', 11, /non-ASCII/],
    ['PathRegexp(`(`)', 12, /invalid regexp "\(": missing closing \)/],
    ['Host(`a`) && HeaderRegexp(`X`, `(?=a)`)', 32, /lookahead/],
    ['QueryRegexp(`k`, `a**`)', 20, /nested repetition/],
    ['QueryRegexp(`k`, "a\\\\d**")', 17, /nested repetition/],
    ['ClientIP(`10.0.0.0/33`)', 9, /invalid IP or CIDR/],
    ['ClientIP(`not-an-ip`)', 9, /invalid IP or CIDR/],
  ];
  for (const [rule, position, fragment] of invalid) {
    it(`rejects ${rule} at position ${position}`, () => {
      assert.throws(
        () => compileRuleMatcher(rule),
        (error) => error instanceof RuleSyntaxError && error.position === position && fragment.test(error.message),
      );
    });
  }
});

describe('query parsing', () => {
  it('parses the query once per request however many Query matchers the rule has', () => {
    const input = request({ query: 'a=1&b=2' });
    const { match } = compileRuleMatcher('Query(`a`, `1`) && Query(`b`, `2`) && QueryRegexp(`a`, `1`)');
    assert.equal(match(input), true);
    const cached = input.parsedQuery;
    assert.ok(cached);
    match(input);
    assert.equal(input.parsedQuery, cached);
  });
});
