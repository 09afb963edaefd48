import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeHost } from '../rules/host.js';
import { compileAllowedHosts, hostRefusal, LOCAL_HOSTS } from './allowed-hosts.js';

const local = compileAllowedHosts(LOCAL_HOSTS);

test('the local names are allowed with any port: localhost, its subdomains, 127.0.0.1 and [::1]', () => {
  for (const header of [
    'localhost',
    'localhost:8080',
    'LOCALHOST.',
    'app.localhost:3000',
    'a.b.localhost',
    '127.0.0.1:8080',
    '[::1]:8080',
    '[::1]',
  ]) {
    assert.equal(local(normalizeHost(header)), true, header);
  }
});

test('other names, look-alikes and a missing Host are not local', () => {
  for (const header of [
    'evil.test',
    'localhost.evil.test',
    'evillocalhost',
    '127.0.0.2',
    '10.0.0.5:8080',
    '[::2]',
    undefined,
  ]) {
    assert.equal(local(normalizeHost(header)), false, String(header));
  }
});

test('extra patterns follow the Host() matcher: exact names, *.suffix for one label, * for any name', () => {
  const allowed = compileAllowedHosts([...LOCAL_HOSTS, 'devbox.lan', '*.example.com', ' [fd00::1] ', '']);
  assert.equal(allowed('devbox.lan'), true);
  assert.equal(allowed('api.example.com'), true);
  assert.equal(allowed('a.b.example.com'), false);
  assert.equal(allowed('example.com'), false);
  assert.equal(allowed('fd00::1'), true);
  assert.equal(compileAllowedHosts(['*'])('evil.test'), true);
});

test('a refused host answers 403 naming the host, the reason and the hint', () => {
  const refusal = hostRefusal('evil.test', local, 'use --api-allowed-hosts');
  assert.equal(refusal?.status, 403);
  assert.match(refusal?.message ?? '', /host "evil\.test" is not allowed .*DNS rebinding.*use --api-allowed-hosts/);
  assert.match(hostRefusal('', local, 'hint')?.message ?? '', /^a request without a Host header is not allowed/);
  assert.equal(hostRefusal('localhost', local, 'hint'), null);
});
