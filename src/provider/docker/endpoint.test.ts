import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { resolveDockerEndpoint } from './endpoint.js';

test('the default endpoint is the local unix socket', () => {
  assert.deepEqual(resolveDockerEndpoint(undefined, {}), {
    endpoint: 'unix:///var/run/docker.sock',
    options: { socketPath: '/var/run/docker.sock' },
  });
});

test('DOCKER_HOST replaces the default endpoint but not a configured one', () => {
  const env = { DOCKER_HOST: 'tcp://10.0.0.5:2375' };
  assert.deepEqual(resolveDockerEndpoint('unix:///var/run/docker.sock', env).options, {
    protocol: 'http',
    host: '10.0.0.5',
    port: 2375,
  });
  assert.deepEqual(resolveDockerEndpoint('unix:///tmp/d.sock', env).options, { socketPath: '/tmp/d.sock' });
});

test('tcp endpoints without a port use 2375 and IPv6 hosts lose their brackets', () => {
  assert.deepEqual(resolveDockerEndpoint('tcp://[::1]', {}).options, { protocol: 'http', host: '::1', port: 2375 });
  assert.deepEqual(resolveDockerEndpoint('https://docker.internal:2376', {}).options, {
    protocol: 'https',
    host: 'docker.internal',
    port: 2376,
  });
});

test('other schemes are refused with ConfigError', () => {
  assert.throws(() => resolveDockerEndpoint('ssh://user@host', {}), ConfigError);
  assert.throws(() => resolveDockerEndpoint('unix://', {}), ConfigError);
});
