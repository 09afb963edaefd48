/**
 * What Switchyard does not implement yet is reported, never silently served: a router with
 * `tls` naming a certificate resolver that does not exist is disabled (and a TLS router is never
 * answered over plain HTTP), a broken TCP router is disabled with its error, and the logs name
 * each key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, sendJson } from '../helpers/http.js';
import { type memoryLogger, startProxy, type TestProxy } from '../helpers/proxy.js';

describe('configuration that is not implemented yet, on a running proxy', () => {
  let backend: Backend;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('app');
    proxy = await startProxy(
      {
        http: {
          routers: {
            secure: { rule: 'Host(`secure.test`)', service: 'app', tls: { certResolver: 'le' } },
            plain: { rule: 'Host(`plain.test`)', service: 'app' },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tcp: {
          routers: { catchAll: { rule: 'HostSNI(`*`)', service: 'app', entryPoints: ['web'] } },
          serversTransports: { slow: { dialTimeout: '5s' } },
        },
        tls: { certificates: [{ certFile: '/nope.crt', keyFile: '/nope.key' }] },
      },
      ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true'],
    );
  });

  after(async () => {
    await proxy?.stop();
    await backend?.close();
  });

  test('a router whose certResolver does not exist is disabled, a TLS router is not served over plain HTTP', async () => {
    assert.equal((await send(`${proxy.url}/`, { headers: { host: 'secure.test' } })).status, 404);
    assert.equal((await send(`${proxy.url}/`, { headers: { host: 'plain.test' } })).status, 200);
    const port = proxy.app.entryPoints.get('traefik')?.port;
    const { json } = await sendJson<{ status: string; error: string[] }>(
      `http://127.0.0.1:${port}/api/http/routers/secure@file`,
    );
    assert.equal(json.status, 'disabled');
    assert.match(
      json.error[0] ?? '',
      /^http\.routers\.secure\.tls\.certResolver: the certificate resolver "le" does not exist/,
    );
  });

  test('a TCP router naming an HTTP service is disabled with its error, and HTTP keeps being served', async () => {
    assert.equal((await send(`${proxy.url}/`, { headers: { host: 'other.test' } })).status, 404);
    const port = proxy.app.entryPoints.get('traefik')?.port;
    const { json } = await sendJson<Array<{ name: string; status: string; error: string[] }>>(
      `http://127.0.0.1:${port}/api/tcp/routers`,
    );
    assert.deepEqual(
      json.map((r) => [r.name, r.status]),
      [['catchAll@file', 'disabled']],
    );
    assert.match(json[0]?.error[0] ?? '', /^tcp\.routers\.catchAll\.service: TCP service "app@file" does not exist/);
  });

  test('the logs name each key that is not implemented', () => {
    const { lines } = proxy.app.options.logger as ReturnType<typeof memoryLogger>;
    const text = lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.obj)}`).join('\n');
    assert.match(text, /error router has errors .*http\.routers\.secure\.tls/);
    assert.match(text, /error tcpRouter has errors .*tcp\.routers\.catchAll/);
    assert.match(text, /error tls\.certificates\[0\]: cannot read \/nope\.crt/);
  });
});
