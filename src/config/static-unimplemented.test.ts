import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadStaticConfiguration } from './static-loader.js';

function load(args: string[]) {
  return loadStaticConfiguration({ args, env: {}, cwd: '/', searchDirs: [] });
}

describe('static keys Switchyard does not implement', () => {
  it('each Traefik key that is not implemented loads with a warning naming it', async () => {
    const keys = [
      'entryPoints.web.http.redirections.entryPoint.to=websecure',
      'entryPoints.web.http.tls.certResolver=le',
      'entryPoints.web.http.middlewares=auth@file',
      'entryPoints.web.proxyProtocol.trustedIPs=10.0.0.1',
      'entryPoints.web.transport.lifeCycle.graceTimeOut=5s',
      'entryPoints.web.http2.maxConcurrentStreams=100',
      'certificatesResolvers.le.acme.email=a@b.test',
      'certificatesResolvers.le.acme.tlsChallenge=true',
      'certificatesResolvers.le.acme.profile=tlsserver',
      'providers.swarm.endpoint=tcp://127.0.0.1:2377',
      'providers.redis.endpoints=127.0.0.1:6379',
      'providers.etcd.endpoints=127.0.0.1:2379',
      'providers.kubernetesCRD=true',
    ];
    const { warnings, remarks } = await load(['--entryPoints.web.address=:8000', ...keys.map((k) => `--${k}`)]);
    const named = [
      'entryPoints.web.http.redirections',
      'entryPoints.web.http.tls',
      'entryPoints.web.http.middlewares',
      'entryPoints.web.proxyProtocol',
      'entryPoints.web.transport.lifeCycle',
      'entryPoints.web.http2',
      'certificatesResolvers.le.acme.profile',
      'providers.swarm',
      'providers.redis',
      'providers.etcd',
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
});
