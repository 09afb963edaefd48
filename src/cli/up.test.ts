import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUpArgs } from './up.js';

test('up reads -f, repeated --scale, the port options and keeps every other flag for the static configuration', () => {
  const options = parseUpArgs([
    '-f',
    'stack.yml',
    '--scale',
    'api=3',
    '--scale=web=0',
    '--port-web=0',
    '--port-dashboard',
    '9090',
    '--log.level',
    'DEBUG',
    '--api.insecure=true',
  ]);
  assert.deepEqual(options, {
    file: 'stack.yml',
    scale: { api: 3, web: 0 },
    portWeb: 0,
    portDashboard: 9090,
    host: undefined,
    apiAllowedHosts: [],
    flags: ['--log.level', 'DEBUG', '--api.insecure=true'],
    help: false,
  });
});

test('up reads --host (brackets dropped) and collects --api-allowed-hosts from every occurrence', () => {
  const options = parseUpArgs([
    '--host',
    '[::]',
    '--api-allowed-hosts',
    'devbox.lan, *.example.com',
    '--api-allowed-hosts=x.test',
  ]);
  assert.equal(options.host, '::');
  assert.deepEqual(options.apiAllowedHosts, ['devbox.lan', '*.example.com', 'x.test']);
  assert.equal(parseUpArgs(['--host=0.0.0.0']).host, '0.0.0.0');
  assert.throws(() => parseUpArgs(['--host']), /--host needs an interface address/);
  assert.throws(() => parseUpArgs(['--host', '--scale']), /--host needs an interface address/);
  assert.throws(() => parseUpArgs(['--api-allowed-hosts', ',']), /--api-allowed-hosts needs host names/);
});

test('up refuses a malformed --scale, a bad port and a positional argument', () => {
  assert.throws(() => parseUpArgs(['--scale', 'api']), /--scale needs SERVICE=N/);
  assert.throws(() => parseUpArgs(['--port-web', '70000']), /--port-web needs a port number/);
  assert.throws(() => parseUpArgs(['oops']), /unexpected argument "oops"/);
});
