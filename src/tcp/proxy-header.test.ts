import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProxyHeader, inspectProxyHeader } from './proxy-header.js';

describe('PROXY protocol headers', () => {
  it('reads a version 1 line and says how long it is', () => {
    const bytes = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\nGET /', 'latin1');
    assert.deepEqual(inspectProxyHeader(bytes), {
      kind: 'header',
      version: 1,
      length: 44,
      source: { address: '203.0.113.7', port: 51234 },
      destination: { address: '192.0.2.1', port: 443 },
    });
  });

  it('round-trips versions 1 and 2, IPv4 and IPv6', () => {
    for (const version of [1, 2] as const) {
      for (const [src, dst] of [
        ['198.51.100.4', '192.0.2.9'],
        ['2001:db8::1', '2001:db8::2'],
      ] as const) {
        const header = encodeProxyHeader(version, { address: src, port: 1000 }, { address: dst, port: 2000 });
        const verdict = inspectProxyHeader(Buffer.concat([header, Buffer.from('rest')]));
        assert.equal(verdict.kind, 'header');
        if (verdict.kind !== 'header') continue;
        assert.equal(verdict.length, header.length);
        assert.equal(verdict.source?.port, 1000);
        assert.equal(verdict.destination?.port, 2000);
        // Version 1 carries the text as written; version 2 the 16 bytes, read back uncompressed.
        const expected = src.includes('.') || version === 1 ? src : '2001:db8:0:0:0:0:0:1';
        assert.equal(verdict.source?.address, expected);
      }
    }
  });

  it('asks for more on a prefix, says none for other bytes, refuses malformed headers', () => {
    const v2 = encodeProxyHeader(2, { address: '10.0.0.1', port: 1 }, { address: '10.0.0.2', port: 2 });
    for (let n = 1; n < v2.length; n++) assert.equal(inspectProxyHeader(v2.subarray(0, n)).kind, 'partial');
    assert.equal(inspectProxyHeader(Buffer.from('PROX')).kind, 'partial');
    assert.equal(inspectProxyHeader(Buffer.from('GET / HTTP/1.1')).kind, 'none');
    assert.equal(inspectProxyHeader(Buffer.from('PROXY TCP4 999.1.1.1 1.1.1.1 1 2\r\n')).kind, 'invalid');
    assert.equal(inspectProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`)).kind, 'invalid');
    assert.equal(inspectProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')).kind, 'header');
  });
});
