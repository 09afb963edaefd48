import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LETS_ENCRYPT_PRODUCTION } from './acme-schema.js';
import { loadStaticConfiguration } from './static-loader.js';

function load(args: string[]) {
  return loadStaticConfiguration({
    args: ['--entryPoints.web.address=:80', ...args],
    env: {},
    cwd: '/',
    searchDirs: [],
  });
}

describe('certificatesResolvers.<name>.acme', () => {
  it("Traefik's defaults: Let's Encrypt production, acme.json, RSA4096, 90 days; keys in any case", async () => {
    const { config } = await load([
      '--certificatesresolvers.le.acme.email=ops@example.com',
      '--certificatesresolvers.le.acme.httpchallenge.entrypoint=web',
    ]);
    const acme = config.certificatesResolvers.le?.acme;
    assert.equal(acme?.caServer, LETS_ENCRYPT_PRODUCTION);
    assert.equal(acme?.storage, 'acme.json');
    assert.equal(acme?.keyType, 'RSA4096');
    assert.equal(acme?.certificatesDuration, 2160);
    assert.equal(acme?.email, 'ops@example.com');
    assert.deepEqual(acme?.httpChallenge, { entryPoint: 'web', delay: 0 });
    assert.equal(acme?.tlsChallenge, undefined);
  });

  it('a bare --…tlsChallenge flag enables it; dnsChallenge reads provider, resolvers and propagation', async () => {
    const { config } = await load([
      '--certificatesResolvers.a.acme.tlsChallenge',
      '--certificatesResolvers.b.acme.dnsChallenge.provider=exec',
      '--certificatesResolvers.b.acme.dnsChallenge.resolvers=127.0.0.1:8053,1.1.1.1:53',
      '--certificatesResolvers.b.acme.dnsChallenge.propagation.delayBeforeChecks=2s',
      '--certificatesResolvers.b.acme.keyType=ec256',
      '--certificatesResolvers.b.acme.eab.kid=kid-1',
      '--certificatesResolvers.b.acme.eab.hmacEncoded=aG1hYw',
    ]);
    assert.deepEqual(config.certificatesResolvers.a?.acme.tlsChallenge, { delay: 0 });
    const b = config.certificatesResolvers.b?.acme;
    assert.deepEqual(b?.dnsChallenge?.resolvers, ['127.0.0.1:8053', '1.1.1.1:53']);
    assert.equal(b?.dnsChallenge?.propagation.delayBeforeChecks, 2000);
    assert.equal(b?.keyType, 'EC256');
    assert.deepEqual(b?.eab, { kid: 'kid-1', hmacEncoded: 'aG1hYw' });
  });

  it('errors name the key: no challenge, unknown challenge entry point, bad key type, duration under an hour', async () => {
    await assert.rejects(
      load(['--certificatesResolvers.le.acme.email=a@b.c']),
      /certificatesResolvers\.le\.acme: an ACME resolver needs a challenge/,
    );
    await assert.rejects(
      load(['--certificatesResolvers.le.acme.httpChallenge.entryPoint=nope']),
      /certificatesResolvers\.le\.acme\.httpChallenge\.entryPoint: unknown entry point "nope"/,
    );
    await assert.rejects(
      load(['--certificatesResolvers.le.acme.tlsChallenge', '--certificatesResolvers.le.acme.keyType=DSA']),
      /keyType: expected one of EC256/,
    );
    await assert.rejects(
      load(['--certificatesResolvers.le.acme.tlsChallenge', '--certificatesResolvers.le.acme.certificatesDuration=0']),
      /certificatesDuration: expected an integer ≥ 1/,
    );
  });
});
