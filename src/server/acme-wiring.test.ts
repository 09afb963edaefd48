import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeCertificate } from '../../test/helpers/acme-certs.js';
import { wantedCertificates } from '../acme/index.js';
import { staticConfigurationSchema } from '../config/static-schema.js';
import { buildLabelConfiguration } from '../provider/labels/build-configuration.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { httpChallengeEntryPoints, ReplicaAcme } from './acme-wiring.js';
import { ManagedAcme } from './managed-acme.js';
import { mergeSnapshots } from './merge.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function staticConfig(resolvers: object) {
  return staticConfigurationSchema.parse({
    entryPoints: { web: { address: ':80' }, websecure: { address: ':443' } },
    certificatesResolvers: resolvers,
  });
}

describe('ACME wiring', () => {
  it('Docker labels tls.certresolver and tls.domains reach the wanted certificates through the label builder', () => {
    const labels = buildLabelConfiguration([
      {
        id: 'c1',
        kind: 'container',
        name: 'shop',
        running: true,
        health: 'none',
        address: { kind: 'networks', networks: { backend: '10.0.0.2' }, ports: [80] },
        labels: {
          'traefik.http.routers.shop.rule': 'Host(`shop.test`) || Host(`www.shop.test`)',
          'traefik.http.routers.shop.tls.certresolver': 'le',
          'traefik.http.routers.api.rule': 'Host(`api.shop.test`)',
          'traefik.http.routers.api.tls.certresolver': 'le',
          'traefik.http.routers.api.tls.domains[0].main': 'api.shop.test',
          'traefik.http.routers.api.tls.domains[0].sans': 'v2.api.shop.test',
        },
      },
    ]);
    assert.deepEqual(labels.issues, []);
    const runtime = mergeSnapshots([{ provider: 'docker', config: labels.config, issues: [] }]);
    const wanted = wantedCertificates(runtime.routers.values(), {}, new Set(['le']));
    assert.deepEqual(wanted.issues, []);
    assert.deepEqual(wanted.certificates.map((c) => [c.resolver, c.key, c.wantedBy]).sort(), [
      ['le', 'api.shop.test,v2.api.shop.test', ['api@docker']],
      ['le', 'shop.test,www.shop.test', ['shop@docker']],
    ]);
  });

  it('a router asking a resolver for nothing gets a warning and stays enabled', () => {
    const config = staticConfig({ le: { acme: { httpChallenge: { entryPoint: 'web' } } } });
    const acme = new ManagedAcme(config, silent);
    assert.deepEqual([...acme.httpEntryPoints], ['web']);
    assert.deepEqual([...httpChallengeEntryPoints(config)], ['web']);
    const runtime = mergeSnapshots([
      {
        provider: 'file',
        config: { http: { routers: { r: { rule: 'PathPrefix(`/`)', service: 's', tls: { certResolver: 'le' } } } } },
        issues: [],
      },
    ]);
    const router = runtime.routers.get('r@file')!;
    router.status = 'enabled';
    acme.configure(runtime, { web: {}, websecure: {} });
    assert.equal(router.status, 'warning');
    assert.match(router.errors.join(), /needs a Host\(…\) name/);
    acme.stop();
  });

  it('a worker serves the certificates and answers the challenges its primary sends', async () => {
    const cert = await makeCertificate({ names: ['w.test'] });
    const replica = new ReplicaAcme(new Set(['web']));
    replica.setCertificates('le', [{ certPem: cert.leafPem, keyPem: cert.keyPem }]);
    const store = new CertificateStore();
    replica.attach(store, silent);
    assert.equal(store.lookup('w.test')?.source, 'le');
    replica.setChallenges({ http: [['w.test', 'tok', 'tok.key']], tls: [['w.test', cert.leafPem, cert.keyPem]] });
    assert.equal(replica.httpChallengeResponse('w.test', '/.well-known/acme-challenge/tok'), 'tok.key');
    assert.ok(store.challengeContext?.('w.test'));
    replica.setChallenges({ http: [], tls: [] });
    assert.equal(replica.httpChallengeResponse('w.test', '/.well-known/acme-challenge/tok'), undefined);
    assert.equal(store.challengeContext?.('w.test'), undefined);
  });
});
