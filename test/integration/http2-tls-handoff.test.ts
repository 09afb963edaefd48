/**
 * The interface the TLS stage uses (issue #14): a decrypted socket whose ALPN chose `h2` handed
 * to `EntryPoint.serveHttp2`, here from a plain `node:tls` server standing in for that stage
 * (with its connection facts set as the stage records them). The request is routed like any
 * other, with the `https` scheme the facts say.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { setConnectionFacts } from '../../src/server/listener/connection-facts.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { h2Request, h2Session } from '../helpers/h2.js';
import { createCa } from '../helpers/issuing-ca.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('HTTP/2 over TLS handed to the entry point (ALPN h2)', () => {
  let backend: Backend;
  let proxy: TestProxy;
  let tls: TlsServer;
  let ca: string;
  let port = 0;

  before(async () => {
    backend = await startBackend('app');
    proxy = await startProxy({
      http: {
        routers: { app: { rule: 'Host(`secure.test`)', service: 'app' } },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    });
    const authority = await createCa();
    ca = authority.cert;
    const leaf = await authority.issue({ names: ['secure.test'] });
    const entry = proxy.app.entryPoints.get('web');
    assert.ok(entry !== undefined);
    tls = createTlsServer({ ...leaf, ALPNProtocols: ['h2', 'http/1.1'] }, (socket: TLSSocket) => {
      setConnectionFacts(socket, {
        secure: true,
        serverName: socket.servername || null,
        alpn: socket.alpnProtocol || null,
      });
      if (socket.alpnProtocol === 'h2') entry.serveHttp2(socket);
      else entry.serveHttp1(socket);
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    port = (tls.address() as AddressInfo).port;
  });

  after(async () => {
    await proxy.stop();
    await new Promise<void>((resolve) => tls.close(() => resolve()));
    await backend.close();
  });

  it('routes an HTTP/2 request over TLS with the https scheme', async () => {
    const session = await h2Session(`https://secure.test:${port}`, {
      ca,
      servername: 'secure.test',
      host: '127.0.0.1',
      port,
    } as never);
    try {
      const res = await h2Request(session, { ':path': '/over-tls', ':authority': 'secure.test' });
      assert.equal(res.status, 200);
      const echoed = JSON.parse(res.body);
      assert.equal(echoed.url, '/over-tls');
      assert.equal(echoed.headers['x-forwarded-proto'], 'https');
      assert.equal(echoed.headers['x-forwarded-port'], '443');
    } finally {
      session.close();
    }
  });
});
