/**
 * `entryPoints.<ep>.allowACMEByPass` (Traefik 3.1): by default the ACME HTTP-01 answer outranks
 * every router and a TLS-ALPN-01 handshake is answered before TCP routers see it; with the key,
 * a user router of higher priority than the challenge router's rule takes the challenge path,
 * the entry point's redirection leaves that path alone, and TCP routers see `acme-tls/1`
 * handshakes. The challenges themselves are stood in for by the entry point's hooks (the ACME
 * suite drives them with a real CA).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { type Backend, startBackend } from '../helpers/backends.js';
import { handshake, makeCa, makeCertificate } from '../helpers/certificates.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { type Listening, startTlsEcho } from '../helpers/tcp.js';

const TOKEN_PATH = '/.well-known/acme-challenge/tok';
const answer = (_host: string, path: string) => (path === TOKEN_PATH ? 'key-authorization' : undefined);

describe('allowACMEByPass', () => {
  let backend: Backend;
  let tlsBackend: Listening<import('node:tls').Server>;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('user');
    const ca = await makeCa();
    const backendPair = await makeCertificate(ca, ['tcp.test']);
    tlsBackend = await startTlsEcho('passthrough', { cert: backendPair.certPem, key: backendPair.keyPem });
    proxy = await startProxy(
      {
        http: {
          routers: {
            solver: {
              rule: 'PathPrefix(`/.well-known/acme-challenge/`) && Host(`site.test`)',
              service: 'user',
              priority: 1000,
            },
            catchAll: { rule: 'PathPrefix(`/`)', service: 'user' },
            secure: { rule: 'Host(`site.test`)', service: 'user', tls: {}, entryPoints: ['websecure', 'bypasssecure'] },
          },
          services: { user: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tcp: {
          routers: {
            passthrough: {
              rule: 'HostSNI(`tcp.test`)',
              service: 'tls',
              tls: { passthrough: true },
              entryPoints: ['websecure', 'bypasssecure'],
            },
          },
          services: { tls: { loadBalancer: { servers: [{ address: `127.0.0.1:${tlsBackend.port}` }] } } },
        },
      },
      [
        '--entryPoints.bypass.address=127.0.0.1:0',
        '--entryPoints.bypass.allowACMEByPass=true',
        '--entryPoints.redirected.address=127.0.0.1:0',
        '--entryPoints.redirected.allowACMEByPass=true',
        '--entryPoints.redirected.http.redirections.entryPoint.to=websecure',
        '--entryPoints.websecure.address=127.0.0.1:0',
        '--entryPoints.bypasssecure.address=127.0.0.1:0',
        '--entryPoints.bypasssecure.allowACMEByPass=true',
      ],
    );
    for (const name of ['web', 'bypass', 'redirected']) proxy.app.entryPoints.get(name)?.answerHttpChallenges(answer);
    const challenge = await makeCertificate(ca, ['tcp.test'], { cn: 'acme challenge' });
    const context = createSecureContext({ cert: challenge.certPem, key: challenge.keyPem });
    proxy.app.certificates.challengeContext = (serverName) => (serverName === 'tcp.test' ? context : undefined);
  });

  after(async () => {
    await proxy?.stop();
    await backend?.close();
    await tlsBackend?.close();
  });

  const portOf = (name: string) => proxy.app.entryPoints.get(name)?.port ?? 0;

  it('answers HTTP-01 before every router by default, even one of a higher priority', async () => {
    const res = await send(`http://127.0.0.1:${portOf('web')}${TOKEN_PATH}`, { headers: { host: 'site.test' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'key-authorization');
  });

  it('lets a user router above the challenge rule answer with allowACMEByPass, but not a catch-all', async () => {
    const taken = await send(`http://127.0.0.1:${portOf('bypass')}${TOKEN_PATH}`, { headers: { host: 'site.test' } });
    assert.equal(taken.status, 200);
    assert.equal((JSON.parse(taken.text) as { backend: string }).backend, 'user');
    // Only the catch-all (priority 13) matches another host: the challenge router outranks it.
    const kept = await send(`http://127.0.0.1:${portOf('bypass')}${TOKEN_PATH}`, { headers: { host: 'other.test' } });
    assert.equal(kept.text, 'key-authorization');
  });

  it('leaves the challenge path out of the redirection with allowACMEByPass', async () => {
    // The redirection's router outranks every user router; without the challenge path in it,
    // the user's solver takes the challenge.
    const challenge = await send(`http://127.0.0.1:${portOf('redirected')}${TOKEN_PATH}`, {
      headers: { host: 'site.test' },
    });
    assert.equal(challenge.status, 200);
    assert.equal((JSON.parse(challenge.text) as { backend: string }).backend, 'user');
    const page = await send(`http://127.0.0.1:${portOf('redirected')}/page`, { headers: { host: 'other.test' } });
    assert.equal(page.status, 301);
  });

  it('answers a TLS-ALPN-01 handshake before a TCP router takes the name, unless allowACMEByPass', async () => {
    const answered = await handshake(portOf('websecure'), { servername: 'tcp.test', ALPNProtocols: ['acme-tls/1'] });
    assert.equal(answered.alpn, 'acme-tls/1');
    assert.equal(answered.cn, 'acme challenge');
    // An ordinary handshake for the name still goes to the TCP router (the server's certificate).
    const ordinary = await handshake(portOf('websecure'), { servername: 'tcp.test' });
    assert.equal(ordinary.cn, 'tcp.test');
    // With the key, the TCP router sees the challenge handshake too (its server has no acme-tls/1).
    const bypassed = await handshake(portOf('bypasssecure'), { servername: 'tcp.test', ALPNProtocols: ['acme-tls/1'] });
    assert.notEqual(bypassed.cn, 'acme challenge');
  });
});
