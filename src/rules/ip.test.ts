import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkContains, parseIp, parseNetwork } from './ip.js';

function contains(network: string, address: string): boolean {
  const parsed = parseNetwork(network);
  assert.ok(parsed, `network ${network} should parse`);
  const words = new Uint32Array(4);
  return parseIp(address, words) && networkContains(parsed, words);
}

describe('IP networks', () => {
  const cases: Array<[network: string, address: string, inside: boolean]> = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.1.2.3', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.1.2.3/8', '10.200.0.1', true],
    ['192.168.1.10', '192.168.1.10', true],
    ['192.168.1.10', '192.168.1.11', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '::1', true],
    ['::/0', '8.8.8.8', false],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['::1', '::1', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['::ffff:10.0.0.1', '10.0.0.1', true],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', true],
    ['1:2::/48', '1:2:0:ffff::', true],
    ['1:2::/48', '1:3::', false],
  ];
  for (const [network, address, inside] of cases) {
    it(`${inside ? 'finds' : 'does not find'} ${address} in ${network}`, () => {
      assert.equal(contains(network, address), inside);
    });
  }

  it('refuses malformed networks', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0',
      '010.0.0.1',
      '256.0.0.1',
      '1::2::3',
      '::/129',
      'abc',
      '10.0.0.0/',
      '1:2:3:4:5:6:7:8:9',
    ]) {
      assert.equal(parseNetwork(bad), undefined, bad);
    }
  });

  it('refuses malformed addresses', () => {
    const words = new Uint32Array(4);
    for (const bad of ['', 'localhost', '1.2.3', '12345::', ':::']) assert.equal(parseIp(bad, words), false, bad);
  });
});
