import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeHost } from './host.js';

describe('normalizeHost', () => {
  const cases: Array<[header: string | undefined, host: string]> = [
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:80', 'example.com'],
    ['  example.com  ', 'example.com'],
    ['[::1]:8080', '::1'],
    ['[::1]', '::1'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['::1', '::1'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['', ''],
    [undefined, ''],
  ];
  for (const [header, host] of cases) {
    it(`turns ${JSON.stringify(header)} into ${JSON.stringify(host)}`, () => {
      assert.equal(normalizeHost(header), host);
    });
  }
});
