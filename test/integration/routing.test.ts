import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('routing through a real proxy', () => {
  let a: Backend;
  let b: Backend;
  let site: Backend;
  let proxy: TestProxy;

  before(async () => {
    a = await startBackend('api-a');
    b = await startBackend('api-b');
    site = await startBackend('site');
    proxy = await startProxy({
      http: {
        routers: {
          api: { rule: 'PathPrefix(`/api`)', service: 'api' },
          site: { rule: 'PathPrefix(`/`)', service: 'site' },
          admin: { rule: 'Host(`admin.example.com`) && Path(`/`)', service: 'site', priority: 1000 },
        },
        services: {
          api: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }] } },
          site: { loadBalancer: { servers: [{ url: site.url }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([a.close(), b.close(), site.close()]);
  });

  it('routes /api to the API service and / to the site', async () => {
    const api = await sendJson(`${proxy.url}/api/departures?x=1`);
    assert.equal(api.status, 200);
    assert.match(String(api.json.backend), /^api-/);
    assert.equal(api.json.url, '/api/departures?x=1');
    const page = await sendJson(`${proxy.url}/index.html`);
    assert.equal(page.json.backend, 'site');
  });

  it('alternates requests between the two API servers', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(String((await sendJson(`${proxy.url}/api`)).json.backend));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `no alternation in ${seen.join(',')}`);
    assert.deepEqual(new Set(seen), new Set(['api-a', 'api-b']));
  });

  it('routes by host, ignoring the port and case of the Host header', async () => {
    const response = await sendJson(`${proxy.url}/`, { headers: { host: 'ADMIN.example.com:8443' } });
    assert.equal(response.json.backend, 'site');
    assert.equal((response.json.headers as Record<string, string>).host, 'ADMIN.example.com:8443');
  });

  it('sets the X-Forwarded headers and drops untrusted incoming ones', async () => {
    const response = await sendJson(`${proxy.url}/api`, {
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', host: 'shop.test' },
    });
    const headers = response.json.headers as Record<string, string>;
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-real-ip'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], 'shop.test');
    assert.equal(headers['x-forwarded-port'], '80');
    assert.ok(headers['x-forwarded-server']);
  });

  it('removes hop-by-hop headers and the headers Connection names', async () => {
    const response = await sendJson(`${proxy.url}/api`, {
      headers: {
        connection: 'keep-alive, x-secret',
        'x-secret': 's',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'x',
      },
    });
    const headers = response.json.headers as Record<string, string>;
    assert.equal(headers['x-secret'], undefined);
    assert.equal(headers['keep-alive'], undefined);
    assert.equal(headers['proxy-authorization'], undefined);
  });

  it('answers 404 when no router matches', async () => {
    const empty = await startProxy({ http: { routers: {}, services: {} } });
    try {
      const response = await send(`${empty.url}/nothing`);
      assert.equal(response.status, 404);
      assert.equal(response.text, '404 page not found\n');
    } finally {
      await empty.stop();
    }
  });
});
