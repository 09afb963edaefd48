import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadStaticConfiguration } from './static-loader.js';

function load(args: string[]) {
  return loadStaticConfiguration({ args, env: {}, cwd: '/', searchDirs: [] });
}

describe('static keys Switchyard does not implement', () => {
  it('each Traefik key that is not implemented loads with a warning naming it', async () => {
    const keys = [
      'entryPoints.web.transport.lifeCycle.graceTimeOut=5s',
      'certificatesResolvers.le.acme.email=a@b.test',
      'providers.consul.endpoints=127.0.0.1:8500',
      'providers.zooKeeper.endpoints=127.0.0.1:2181',
      'certificatesResolvers.le.acme.tlsChallenge=true',
      'certificatesResolvers.le.acme.profile=tlsserver',
      'providers.kubernetesCRD=true',
    ];
    const { warnings, remarks } = await load(['--entryPoints.web.address=:8000', ...keys.map((k) => `--${k}`)]);
    const named = [
      'entryPoints.web.transport.lifeCycle',
      'certificatesResolvers.le.acme.profile',
      'providers.consul',
      'providers.zooKeeper',
      'providers.kubernetesCRD',
    ];
    for (const key of named) {
      assert.ok(
        warnings.some((w) => w.startsWith(`${key}: `) && /not supported by Switchyard, ignored/.test(w)),
        `no warning names ${key}: ${warnings.join('\n')}`,
      );
      assert.ok(
        remarks.some((r) => r.key === key),
        `no remark keyed ${key}`,
      );
    }
  });

  it('an ACME resolver loads without a warning; a DNS provider of lego that Switchyard lacks is named', async () => {
    const { warnings } = await load([
      '--entryPoints.web.address=:8000',
      '--certificatesResolvers.le.acme.tlsChallenge=true',
      '--certificatesResolvers.cf.acme.dnsChallenge.provider=cloudflare',
      '--certificatesResolvers.ex.acme.dnsChallenge.provider=exec',
    ]);
    assert.ok(!warnings.some((w) => w.startsWith('certificatesResolvers.le')), warnings.join('\n'));
    assert.ok(!warnings.some((w) => w.startsWith('certificatesResolvers.ex')), warnings.join('\n'));
    assert.ok(
      warnings.some(
        (w) =>
          w.startsWith('certificatesResolvers.cf.acme.dnsChallenge.provider: ') &&
          /"cloudflare" is not implemented/.test(w),
      ),
      warnings.join('\n'),
    );
  });

  it('loads the http2 keys, and names maxEncoderHeaderTableSize when it is not the default', async () => {
    const { config, warnings } = await load([
      '--entryPoints.web.address=:8000',
      '--entryPoints.web.http2.maxConcurrentStreams=100',
      '--entryPoints.web.http2.maxEncoderHeaderTableSize=8192',
    ]);
    assert.equal(config.entryPoints.web?.http2.maxConcurrentStreams, 100);
    assert.equal(config.entryPoints.web?.http2.h2c, true);
    assert.ok(!warnings.some((w) => w.startsWith('entryPoints.web.http2.maxConcurrentStreams')), warnings.join('\n'));
    assert.ok(
      warnings.some((w) => w.startsWith('entryPoints.web.http2.maxEncoderHeaderTableSize: ')),
      warnings.join('\n'),
    );
  });

  it('api.basePath other than / and api.debug are reported, never silently unused', async () => {
    const { warnings } = await load(['--api.basePath=/traefik', '--api.debug=true']);
    assert.ok(
      warnings.some((w) => w.startsWith('api.basePath: ') && w.includes('"/traefik"')),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => w.startsWith('api.debug: ')),
      warnings.join('\n'),
    );
  });

  it('api.basePath left at / and a plain api section produce no warning', async () => {
    const { warnings } = await load(['--api.basePath=/', '--api.insecure=true']);
    assert.deepEqual(warnings, []);
  });

  it('local plugins load; remote plugins, Yaegi settings and other experimental keys are warnings naming them', async () => {
    const { config, warnings } = await load([
      '--experimental.localPlugins.stamp.moduleName=request-stamp',
      '--experimental.localPlugins.stamp.settings.useUnsafe=true',
      '--experimental.plugins.demo.moduleName=github.com/traefik/plugindemo',
      '--experimental.plugins.demo.version=v0.2.1',
      '--experimental.http3=true',
    ]);
    assert.equal(config.experimental.localPlugins.stamp?.moduleName, 'request-stamp');
    for (const key of ['experimental.plugins.demo', 'experimental.localPlugins.stamp.settings', 'experimental.http3']) {
      assert.ok(
        warnings.some((w) => w.startsWith(`${key}: `)),
        `no warning names ${key}: ${warnings.join('\n')}`,
      );
    }
    assert.ok(warnings.some((w) => /remote plugins .* cannot run in Switchyard/.test(w)));
  });
});
