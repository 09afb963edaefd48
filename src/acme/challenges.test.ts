import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { connect, createServer } from 'node:tls';
import { makeCertificate } from '../../test/helpers/acme-certs.js';
import { ChallengeAnswers } from './challenges.js';

describe('challenge answers', () => {
  it('HTTP-01: the key authorization for the token on its domain only, port and case aside', () => {
    const answers = new ChallengeAnswers();
    answers.addHttp('a.test', 'tok', 'tok.thumb');
    assert.equal(answers.httpResponse('A.test:8080', '/.well-known/acme-challenge/tok'), 'tok.thumb');
    assert.equal(answers.httpResponse('a.test', '/.well-known/acme-challenge/tok/'), 'tok.thumb');
    assert.equal(answers.httpResponse('a.test.', '/.well-known/acme-challenge/tok?x=1'), 'tok.thumb');
    assert.equal(answers.httpResponse('b.test', '/.well-known/acme-challenge/tok'), undefined);
    assert.equal(answers.httpResponse('a.test', '/.well-known/acme-challenge/other'), undefined);
    assert.equal(answers.httpResponse('a.test', '/.well-known/acme-challenge/tok/x'), undefined);
    assert.equal(answers.httpResponse(undefined, '/.well-known/acme-challenge/tok'), undefined);
    answers.removeHttp('a.test', 'tok');
    assert.equal(answers.httpResponse('a.test', '/.well-known/acme-challenge/tok'), undefined);
  });

  it('TLS-ALPN-01: the context is served for its server name in a real handshake', async () => {
    const answers = new ChallengeAnswers();
    const cert = await makeCertificate({ names: ['alpn.test'] });
    answers.addTls('alpn.test', cert.leafPem, cert.keyPem);
    const server = createServer({
      ALPNProtocols: ['acme-tls/1'],
      SNICallback: (name, cb) => {
        const context = answers.tlsContext(name);
        if (context) cb(null, context);
        else cb(new Error('no challenge'));
      },
    });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const handshake = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({
          port,
          host: '127.0.0.1',
          servername,
          ALPNProtocols: ['acme-tls/1'],
          rejectUnauthorized: false,
        });
        socket.once('secureConnect', () => {
          const subject = socket.getPeerCertificate().subjectaltname ?? '';
          socket.destroy();
          resolve(`${socket.alpnProtocol}|${subject}`);
        });
        socket.once('error', reject);
      });
    try {
      assert.equal(await handshake('ALPN.test'), 'acme-tls/1|DNS:alpn.test');
      await assert.rejects(handshake('other.test'));
      answers.removeTls('alpn.test');
      assert.equal(answers.tlsContext('alpn.test'), undefined);
    } finally {
      server.close();
    }
  });
});
