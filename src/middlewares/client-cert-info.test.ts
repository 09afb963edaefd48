import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientCertificate, certificateInfo, formatIpOctets, queryEscape } from './client-cert-info.js';

describe('client certificate facts in Traefik formats', () => {
  it("query-escapes as Go's url.QueryEscape", () => {
    assert.equal(queryEscape('Subject="C=FR,ST=A b";NB="1"'), 'Subject%3D%22C%3DFR%2CST%3DA+b%22%3BNB%3D%221%22');
    assert.equal(queryEscape("a-_.~*!'()/é"), 'a-_.~%2A%21%27%28%29%2F%C3%A9');
  });

  it("prints IPs as Go's net.IP does", () => {
    assert.equal(formatIpOctets(Uint8Array.from([10, 0, 1, 2])), '10.0.1.2');
    const v6 = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
    assert.equal(formatIpOctets(v6('20010db8000000000000000000000001')), '2001:db8::1');
    assert.equal(formatIpOctets(v6('20010db8000000010000000000000001')), '2001:db8:0:1::1');
    assert.equal(formatIpOctets(v6('20010db8000000000001000000000001')), '2001:db8::1:0:0:1');
    assert.equal(formatIpOctets(v6('00000000000000000000000000000001')), '::1');
    assert.equal(formatIpOctets(v6('00000000000000000000ffff0a000001')), '10.0.0.1');
    assert.equal(formatIpOctets(v6('20010db8000100020003000400050006')), '2001:db8:1:2:3:4:5:6');
    assert.equal(formatIpOctets(Uint8Array.from([1, 2])), null);
  });

  it('leaves empty fields out and separates certificates with a comma', () => {
    const name = {
      domainComponent: [],
      country: ['FR', 'US'],
      province: [],
      locality: [],
      organization: [],
      organizationalUnit: [],
      serialNumber: '',
      commonName: '',
    };
    const cert: ClientCertificate = {
      pem: 'x',
      subject: { ...name, organization: ['Cheese'] },
      issuer: name,
      serialNumber: '1',
      notBefore: 1,
      notAfter: 1632568236,
      sans: [],
    };
    const selection = {
      notAfter: true,
      sans: true,
      subject: { organization: true },
      issuer: { country: true, commonName: true },
    };
    assert.equal(certificateInfo(selection, [cert]), 'Subject="O=Cheese";Issuer="C=FR,C=US";NA="1632568236"');
    assert.equal(certificateInfo({ subject: { commonName: true } }, [cert, cert]), ',');
  });
});
