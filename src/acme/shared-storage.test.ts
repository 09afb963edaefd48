import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../../test/helpers/proxy.js';
import { acmeSchema } from '../config/acme-schema.js';
import { ConfigError } from '../errors.js';
import { etcdStorageSettings } from './etcd-storage.js';
import { AcmeManager } from './manager.js';
import { redisStorageSettings } from './redis-storage.js';
import { isSharedStorage } from './shared-storage.js';

describe('shared ACME storage settings (redis://, etcd://)', () => {
  it('reads host, port, database, credentials, key, lease and poll; shows the URL without credentials', () => {
    const s = redisStorageSettings('redis://ops:s%40cret@10.0.0.5:6380/2?key=edge/acme.json&lease=10s&poll=500ms');
    assert.equal(s.options.host, '10.0.0.5');
    assert.equal(s.options.port, 6380);
    assert.equal(s.options.db, 2);
    assert.equal(s.options.username, 'ops');
    assert.equal(s.options.password, 's@cret');
    assert.equal(s.key, 'edge/acme.json');
    assert.equal(s.leaseMs, 10_000);
    assert.equal(s.pollMs, 500);
    assert.equal(s.display, 'redis://10.0.0.5:6380/2?key=edge/acme.json');
    assert.doesNotMatch(s.display, /cret/);
  });

  it('defaults: port 6379, database 0, key switchyard/acme.json, lease 30s, poll 2s; rediss:// is TLS', () => {
    const s = redisStorageSettings('rediss://cache.internal');
    assert.equal(s.options.port, 6379);
    assert.equal(s.options.db, 0);
    assert.deepEqual(s.options.tls, { servername: 'cache.internal' });
    assert.equal(s.key, 'switchyard/acme.json');
    assert.equal(s.leaseMs, 30_000);
    assert.equal(s.pollMs, 2000);
  });

  it('refuses unknown parameters, bad durations and databases, with the reason', () => {
    assert.throws(() => redisStorageSettings('redis://h/x'), /database "x"/);
    assert.throws(() => redisStorageSettings('redis://h?ttl=3s'), /unknown parameter "ttl"/);
    assert.throws(() => redisStorageSettings('redis://h?lease=soon'), /lease=soon/);
  });

  it('a file path is a file; redis://, rediss:// and etcd:// are shared stores; other schemes are refused by name, credentials hidden', () => {
    assert.equal(isSharedStorage('acme.json'), false);
    assert.equal(isSharedStorage('/data/acme.json'), false);
    assert.equal(isSharedStorage('redis://h'), true);
    assert.equal(isSharedStorage('etcd://h:2379'), true);
    assert.throws(
      () => isSharedStorage('consul://u:p@h:8500'),
      (e: Error) => /unsupported ACME storage "consul:\/\/h:8500"/.test(e.message) && !e.message.includes('u:p'),
    );
  });

  it('etcd:// settings: host, port, credentials, key, lease, poll; no path', () => {
    const s = etcdStorageSettings('etcd://root:pw@10.0.0.7:2380?key=edge/acme.json&lease=5s');
    assert.equal(s.hosts, 'http://10.0.0.7:2380');
    assert.deepEqual(s.auth, { username: 'root', password: 'pw' });
    assert.equal(s.key, 'edge/acme.json');
    assert.equal(s.leaseMs, 5000);
    assert.equal(s.display, 'etcd://10.0.0.7:2380?key=edge/acme.json');
    assert.equal(etcdStorageSettings('etcd://h').hosts, 'http://h:2379');
    assert.throws(() => etcdStorageSettings('etcd://h/acme'), /takes no path/);
  });

  it('the manager names the key path of a storage it cannot use', () => {
    assert.throws(
      () =>
        new AcmeManager({
          resolvers: { le: { acme: acmeSchema.parse({ storage: 'consul://h:8500', tlsChallenge: {} }) } },
          logger: memoryLogger(),
          onCertificates: () => undefined,
          env: {},
        }),
      (e: unknown) =>
        e instanceof ConfigError &&
        (e as { location?: string }).location === 'certificatesResolvers.le.acme.storage' &&
        /unsupported ACME storage/.test(e.message),
    );
  });
});
