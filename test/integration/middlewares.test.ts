import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('middlewares through the proxy', () => {
  let api: Backend;
  let proxy: TestProxy;

  before(async () => {
    api = await startBackend('api', (req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-powered-by': 'secret',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
    proxy = await startProxy({
      http: {
        routers: {
          api: { rule: 'PathPrefix(`/api`)', service: 'api', middlewares: ['api-chain'] },
          old: { rule: 'PathPrefix(`/old`)', service: 'api', middlewares: ['moved'] },
          rewritten: { rule: 'PathPrefix(`/v1`)', service: 'api', middlewares: ['v1-to-v2', 'prefix'] },
        },
        middlewares: {
          'api-chain': { chain: { middlewares: ['strip', 'tag'] } },
          strip: { stripPrefix: { prefixes: ['/api'] } },
          tag: {
            headers: {
              customRequestHeaders: { 'X-Tag': 'switchyard', 'User-Agent': '' },
              customResponseHeaders: { 'X-Powered-By': '', 'X-Served-Through': 'switchyard' },
            },
          },
          moved: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Go template references, not JavaScript.
            redirectRegex: { regex: '^http://([^/]+)/old/(.*)', replacement: 'http://${1}/new/${2}', permanent: true },
          },
          'v1-to-v2': { replacePathRegex: { regex: '^/v1/(.*)', replacement: '/v2/$1' } },
          prefix: { addPrefix: { prefix: '/svc' } },
        },
        services: { api: { loadBalancer: { servers: [{ url: api.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await api.close();
  });

  it('strips the prefix, adds and removes request headers, and rewrites response headers', async () => {
    const { json, response } = await sendJson(`${proxy.url}/api/departures?x=1`, { headers: { 'user-agent': 'test' } });
    const headers = json.headers as Record<string, string>;
    assert.equal(json.url, '/departures?x=1');
    assert.equal(headers['x-forwarded-prefix'], '/api');
    assert.equal(headers['x-tag'], 'switchyard');
    assert.equal(headers['user-agent'], undefined);
    assert.equal(response.headers['x-powered-by'], undefined);
    assert.equal(response.headers['x-served-through'], 'switchyard');
    assert.deepEqual(response.headers['set-cookie'], ['a=1', 'b=2']);
  });

  it('redirects permanently with the captured groups', async () => {
    const response = await send(`${proxy.url}/old/page?q=1`, { headers: { host: 'shop.test' } });
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, 'http://shop.test/new/page?q=1');
  });

  it('applies middlewares in order: replacePathRegex then addPrefix', async () => {
    const { json } = await sendJson(`${proxy.url}/v1/items`);
    assert.equal(json.url, '/svc/v2/items');
    assert.equal((json.headers as Record<string, string>)['x-replaced-path'], '/v1/items');
  });

  it('disables a router whose middleware is misconfigured and reports the key path', async () => {
    await proxy.update({
      http: {
        routers: { bad: { rule: 'PathPrefix(`/bad`)', service: 'api', middlewares: ['broken'] } },
        middlewares: { broken: { stripPrefix: { prefixes: 42 } } },
        services: { api: { loadBalancer: { servers: [{ url: api.url }] } } },
      },
    });
    const router = proxy.app.runtime.routers.get('bad@file');
    assert.equal(router?.status, 'disabled');
    const middleware = proxy.app.runtime.middlewares.get('broken@file');
    assert.match(middleware?.errors.join(' ') ?? '', /stripPrefix\.prefixes/);
    assert.equal((await send(`${proxy.url}/bad`)).status, 404);
  });
});
