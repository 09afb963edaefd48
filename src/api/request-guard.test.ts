import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changesState, requestOrigin, stateChangeRefusal } from './request-guard.js';

const JSON_TYPE = { 'content-type': 'application/json' };

test('GET, HEAD and OPTIONS pass whatever their origin and body type; every other method is a change', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
    assert.equal(
      stateChangeRefusal(method, { origin: 'http://evil.test', 'content-type': 'text/plain' }, 'http'),
      null,
    );
  }
  assert.equal(changesState(undefined), false);
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) assert.equal(changesState(method), true);
});

test('a change from another origin is refused with 403, before its body type is looked at', () => {
  const refusal = stateChangeRefusal(
    'POST',
    { host: 'localhost:8080', origin: 'http://evil.test', 'content-type': 'text/plain' },
    'http',
  );
  assert.equal(refusal?.status, 403);
  assert.match(
    refusal?.message ?? '',
    /Origin "http:\/\/evil\.test" is not this API's origin \(http:\/\/localhost:8080\)/,
  );
});

test('the origin must match scheme, host and port exactly as the client addressed the API', () => {
  const headers = (origin: string) => ({ host: 'localhost:8080', origin, ...JSON_TYPE });
  assert.equal(stateChangeRefusal('POST', headers('http://localhost:8080'), 'http'), null);
  assert.equal(stateChangeRefusal('POST', headers('http://LOCALHOST:8080'), 'http'), null);
  for (const other of ['http://localhost:8081', 'https://localhost:8080', 'http://127.0.0.1:8080', 'null', 'garbage']) {
    assert.equal(stateChangeRefusal('POST', headers(other), 'http')?.status, 403, other);
  }
  // The default port is the same origin written or not.
  assert.equal(
    stateChangeRefusal('POST', { host: 'admin.test', origin: 'http://admin.test:80', ...JSON_TYPE }, 'http'),
    null,
  );
  // Without a Host there is no own origin to compare with.
  assert.equal(stateChangeRefusal('POST', { origin: 'http://localhost:8080', ...JSON_TYPE }, 'http')?.status, 403);
});

test('Sec-Fetch-Site must be same-origin or none when present', () => {
  for (const site of ['same-origin', 'none', 'Same-Origin']) {
    assert.equal(stateChangeRefusal('POST', { 'sec-fetch-site': site, ...JSON_TYPE }, 'http'), null, site);
  }
  for (const site of ['cross-site', 'same-site']) {
    const refusal = stateChangeRefusal('POST', { 'sec-fetch-site': site, ...JSON_TYPE }, 'http');
    assert.equal(refusal?.status, 403, site);
    assert.match(refusal?.message ?? '', /cross-site request refused/);
  }
});

test('a change needs Content-Type application/json (parameters and case aside), else 415', () => {
  assert.equal(stateChangeRefusal('POST', { 'content-type': 'Application/JSON; charset=utf-8' }, 'http'), null);
  for (const type of [
    undefined,
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'application/jsonx',
  ]) {
    const refusal = stateChangeRefusal('POST', type === undefined ? {} : { 'content-type': type }, 'http');
    assert.equal(refusal?.status, 415, String(type));
    assert.match(refusal?.message ?? '', /need Content-Type: application\/json/);
  }
});

test('scripts without Origin or Sec-Fetch-Site pass with a JSON body type', () => {
  assert.equal(stateChangeRefusal('POST', { host: 'anything.example', ...JSON_TYPE }, 'http'), null);
});

test('the request origin comes from the scheme and the Host header, default port dropped', () => {
  assert.equal(requestOrigin('http', 'LocalHost:8080'), 'http://localhost:8080');
  assert.equal(requestOrigin('http', 'example.com:80'), 'http://example.com');
  assert.equal(requestOrigin('http', '[::1]:8080'), 'http://[::1]:8080');
  assert.equal(requestOrigin('http', undefined), null);
  assert.equal(requestOrigin('http', 'bad host'), null);
});
