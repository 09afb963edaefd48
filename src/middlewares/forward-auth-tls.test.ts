import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { serve } from '../../test/helpers/middleware-harness.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A self-signed certificate (valid for 127.0.0.1) and its key, as PEM. */
async function selfSigned(name: string): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: keys as unknown as x509.X509CertificateCreateSelfSignedParams['keys'],
    signingAlgorithm: ALGORITHM,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new x509.BasicConstraintsExtension(true, undefined, true),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}

describe('forwardAuth to an HTTPS authentication server', () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  let clientNames: string[];
  const files = { ca: '', cert: '', key: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'forward-auth-tls-'));
    const serverPair = await selfSigned('auth.test');
    const clientPair = await selfSigned('switchyard-client');
    files.ca = join(dir, 'ca.pem');
    files.cert = join(dir, 'client.pem');
    files.key = join(dir, 'client.key');
    writeFileSync(files.ca, serverPair.cert);
    writeFileSync(files.cert, clientPair.cert);
    writeFileSync(files.key, clientPair.key);
    clientNames = [];
    server = https.createServer(
      { cert: serverPair.cert, key: serverPair.key, ca: clientPair.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        clientNames.push(socket.authorized ? String(peer.subject?.CN) : '');
        res.writeHead(200, { 'x-auth-user': 'tls-ann' });
        res.end();
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server against tls.ca and presents tls.cert/tls.key', async () => {
    const app = await serve({
      forwardAuth: { address: url, authResponseHeaders: ['X-Auth-User'], tls: { ...files } },
    });
    try {
      const reply = await app.request('/');
      assert.equal(reply.status, 200);
      assert.equal(reply.echo?.headers['x-auth-user'], 'tls-ann');
      assert.equal(clientNames.at(-1), 'switchyard-client');
    } finally {
      await app.close();
    }
  });

  it('refuses (500) a server it cannot verify, unless insecureSkipVerify', async () => {
    const strict = await serve({ forwardAuth: { address: url } });
    const lax = await serve({ forwardAuth: { address: url, tls: { insecureSkipVerify: true } } });
    try {
      assert.equal((await strict.request('/')).status, 500);
      assert.equal((await lax.request('/')).status, 200);
      assert.equal(clientNames.at(-1), '', 'no client certificate without tls.cert');
    } finally {
      await strict.close();
      await lax.close();
    }
  });
});
