import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContext, serve } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { buildMiddleware } from './registry.js';
import { ipv6SubnetAddress } from './source-criterion.js';

function buildError(config: Record<string, unknown>): string {
  try {
    buildMiddleware('allow', config, buildContext('allow'));
  } catch (error) {
    assert.ok(error instanceof MiddlewareError);
    return error.message;
  }
  assert.fail('expected the build to throw');
}

describe('ipv6Subnet', () => {
  it('keeps the first address of the /N of an IPv6 address and leaves IPv4 alone', () => {
    assert.equal(ipv6SubnetAddress('2001:db8:85a3:8d3:1319:8a2e:370:7348', 64), '2001:db8:85a3:8d3::');
    assert.equal(ipv6SubnetAddress('2001:db8::1', 32), '2001:db8::');
    assert.equal(ipv6SubnetAddress('2001:db8:ffff::1', 36), '2001:db8:f000::');
    assert.equal(ipv6SubnetAddress('::ffff:10.1.2.3', 128), '::ffff:a01:203');
    assert.equal(ipv6SubnetAddress('10.1.2.3', 8), '10.1.2.3');
    assert.equal(ipv6SubnetAddress('not-an-ip', 64), 'not-an-ip');
  });
});

describe('ipAllowList', () => {
  it('lets the peer through when in sourceRange, refuses with 403 Forbidden otherwise', async () => {
    const open = await serve({ ipAllowList: { sourceRange: ['10.0.0.0/8', '127.0.0.1'] } });
    const closed = await serve({ ipAllowList: { sourceRange: '10.0.0.0/8, 192.168.1.7' } });
    try {
      assert.equal((await open.request('/')).status, 200);
      const refused = await closed.request('/');
      assert.equal(refused.status, 403);
      assert.equal(refused.body, 'Forbidden');
      assert.equal(refused.echo, null);
    } finally {
      await open.close();
      await closed.close();
    }
  });

  it('answers rejectStatusCode with its status text', async () => {
    const server = await serve({ ipAllowList: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: '404' } });
    try {
      const reply = await server.request('/');
      assert.equal(reply.status, 404);
      assert.equal(reply.body, 'Not Found');
    } finally {
      await server.close();
    }
  });

  it('reads X-Forwarded-For by depth from the right, an absent hop being refused', async () => {
    const server = await serve({ ipAllowList: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 2 } } });
    try {
      const at = (xff: string) => server.request('/', { headers: { 'x-forwarded-for': xff } });
      assert.equal((await at('1.1.1.1, 10.0.0.9, 2.2.2.2')).status, 200);
      assert.equal((await at('10.0.0.9, 1.1.1.1, 2.2.2.2')).status, 403);
      assert.equal((await at('2.2.2.2')).status, 403);
      assert.equal((await server.request('/')).status, 403);
    } finally {
      await server.close();
    }
  });

  it('takes the rightmost X-Forwarded-For address not in excludedIPs, refusing when all are excluded', async () => {
    const server = await serve({
      ipAllowList: { sourceRange: ['10.0.0.0/8'], ipStrategy: { excludedIPs: ['192.168.0.0/16', '172.16.0.1'] } },
    });
    try {
      const at = (xff: string) => server.request('/', { headers: { 'x-forwarded-for': xff } });
      assert.equal((await at('1.1.1.1, 10.0.0.9, 172.16.0.1, 192.168.3.4')).status, 200);
      assert.equal((await at('10.0.0.9, 1.1.1.1, 192.168.3.4')).status, 403);
      assert.equal((await at('192.168.3.4')).status, 403);
    } finally {
      await server.close();
    }
  });

  it('applies ipv6Subnet to the chosen hop before checking', async () => {
    const server = await serve({
      ipAllowList: { sourceRange: ['2001:db8::/64'], ipStrategy: { depth: 1, ipv6Subnet: 64 } },
    });
    try {
      const ok = await server.request('/', { headers: { 'x-forwarded-for': '2001:db8::abcd:1' } });
      assert.equal(ok.status, 200);
      const refused = await server.request('/', { headers: { 'x-forwarded-for': '2001:db9::1' } });
      assert.equal(refused.status, 403);
    } finally {
      await server.close();
    }
  });

  it('names the key of bad options', () => {
    assert.match(buildError({ ipAllowList: {} }), /ipAllowList\.sourceRange: sourceRange is empty/);
    assert.match(
      buildError({ ipAllowList: { sourceRange: ['10.0.0.0/33'] } }),
      /ipAllowList\.sourceRange\.0: invalid IP or CIDR/,
    );
    assert.match(buildError({ ipAllowList: { sourceRange: ['nope'] } }), /ipAllowList\.sourceRange\.0: /);
    assert.match(
      buildError({ ipAllowList: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 999 } }),
      /ipAllowList\.rejectStatusCode: invalid HTTP status code 999/,
    );
    assert.match(
      buildError({ ipAllowList: { sourceRange: ['10.0.0.0/8'], ipStrategy: { excludedIPs: ['x'] } } }),
      /ipAllowList\.ipStrategy\.excludedIPs\.0: /,
    );
    assert.match(
      buildError({ ipAllowList: { sourceRange: ['10.0.0.0/8'], ipStrategy: { ipv6Subnet: 129 } } }),
      /ipAllowList\.ipStrategy\.ipv6Subnet: /,
    );
  });

  it('accepts ipStrategy enabled empty, as a label writes it (the peer address)', async () => {
    const server = await serve({ ipallowlist: { sourcerange: '127.0.0.1/32', ipstrategy: 'true' } });
    try {
      assert.equal((await server.request('/', { headers: { 'x-forwarded-for': '10.9.9.9' } })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('accepts the deprecated ipWhiteList name with a warning naming it', async () => {
    const warnings: string[] = [];
    const wrapper = buildMiddleware(
      'old',
      { ipWhiteList: { sourceRange: ['127.0.0.1'] } },
      { ...buildContext('old'), warn: (message) => warnings.push(message) },
    );
    assert.equal(typeof wrapper, 'function');
    assert.match(warnings[0] ?? '', /ipWhiteList is deprecated .* use ipAllowList/);
    assert.match(buildError({ ipWhiteList: { sourceRange: ['127.0.0.1'], rejectStatusCode: 404 } }), /unknown option/);
  });
});
