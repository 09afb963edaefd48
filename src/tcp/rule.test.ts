import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleSyntaxError } from '../errors.js';
import { compileTcpRule, explainTcpRule, type TcpMatchInput } from './rule.js';

const tls = (serverName: string, alpn: string[] = [], remoteAddress = '127.0.0.1'): TcpMatchInput => ({
  tls: true,
  serverName,
  alpn,
  remoteAddress,
});
const plain: TcpMatchInput = { tls: false, serverName: '', alpn: [], remoteAddress: '10.1.2.3' };

describe('TCP rules', () => {
  it('HostSNI matches the SNI exactly or one label of a wildcard; `*` matches everything, TLS or not', () => {
    const exact = compileTcpRule('HostSNI(`db.example.com`)');
    assert.equal(exact.match(tls('db.example.com')), true);
    assert.equal(exact.match(tls('x.db.example.com')), false);
    assert.equal(exact.match(plain), false);
    const wildcard = compileTcpRule('HostSNI(`*.example.com`)');
    assert.equal(wildcard.match(tls('a.example.com')), true);
    assert.equal(wildcard.match(tls('a.b.example.com')), false);
    const all = compileTcpRule('HostSNI(`*`)');
    assert.equal(all.match(plain) && all.match(tls('x')), true);
    assert.equal(all.catchAll, true);
    assert.equal(exact.needsTls, true);
  });

  it('HostSNIRegexp, ClientIP, ALPN and the operators', () => {
    const rule = compileTcpRule(
      '(HostSNIRegexp(`^db[0-9]+\\.test$`) || ALPN(`postgresql`)) && !ClientIP(`10.0.0.0/8`)',
    );
    assert.equal(rule.match(tls('db12.test')), true);
    assert.equal(rule.match(tls('other.test', ['postgresql'])), true);
    assert.equal(rule.match(tls('db12.test', [], '10.9.9.9')), false);
    assert.equal(compileTcpRule('ClientIP(`10.0.0.0/8`)').match(plain), true);
  });

  it('refuses HTTP matchers, ALPN acme-tls/1 and bad arguments with the rule position', () => {
    assert.throws(() => compileTcpRule('Host(`a`)'), RuleSyntaxError);
    assert.throws(() => compileTcpRule('ALPN(`acme-tls/1`)'), /not allowed/);
    assert.throws(() => compileTcpRule('ClientIP(`nope`)'), /invalid IP or CIDR/);
    assert.throws(() => compileTcpRule('hostSNI(`a`)'), /accepted spellings are HostSNI/);
    assert.equal(compileTcpRule('HOSTSNI(`a`)').rule, 'HOSTSNI(`a`)');
  });

  it('explains each leaf', () => {
    const explained = explainTcpRule('HostSNI(`a.test`) && ALPN(`h2`)', tls('a.test', ['http/1.1']));
    assert.equal(explained.matched, false);
    assert.match(explained.children[1]?.reason ?? '', /does not offer "h2"/);
  });
});
