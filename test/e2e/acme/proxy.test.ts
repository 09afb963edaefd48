/**
 * Automatic HTTPS through the proxy itself: pebble validates HTTP-01 against Switchyard's `web`
 * entry point, the certificate lands in the TLS store, and `websecure` serves it to a real TLS
 * client. Written before the TLS entry points (issue #14) were merged: it is skipped until the
 * wiring named in SKIP exists; remove the skip when it does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { waitFor } from '../../helpers/http.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

const SKIP =
  'needs the merge wiring of src/acme/ into the process (docs/acme.md "Wiring"): AcmeManager built in ' +
  'server/create.ts with onCertificates → the TLS store setSource, wantedCertificates at each build, ' +
  'httpChallengeResponse in the httpChallenge entry point before routing, challengeContext for acme-tls/1, ' +
  'and TLS entry points (entryPoints.<n>.http.tls, issue #14)';

let pebble: Pebble | undefined;
let backend: Backend | undefined;
let proxy: TestProxy | undefined;

describe('automatic HTTPS through the proxy', { skip: SKIP }, () => {
  before(async () => {
    pebble = await startPebble();
    backend = await startBackend('app');
    process.env.LEGO_CA_CERTIFICATES = pebble.caFile;
    proxy = await startProxy(
      {
        http: {
          routers: {
            app: {
              rule: 'Host(`proxy.example.test`)',
              entryPoints: ['websecure'],
              service: 'app',
              tls: { certResolver: 'le' },
            },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [
        `--entryPoints.web.address=127.0.0.1:${pebble.httpPort}`,
        `--entryPoints.websecure.address=127.0.0.1:${pebble.tlsPort}`,
        `--certificatesResolvers.le.acme.caServer=${pebble.directory}`,
        '--certificatesResolvers.le.acme.keyType=EC256',
        '--certificatesResolvers.le.acme.storage=acme.json',
        '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web',
      ],
    );
  });

  after(async () => {
    delete process.env.LEGO_CA_CERTIFICATES;
    await proxy?.stop();
    await backend?.close();
    await pebble?.stop();
  });

  it('orders the certificate over HTTP-01 on web and serves it on websecure', async () => {
    const port = pebble!.tlsPort;
    const issuer = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          const socket = connect({
            host: '127.0.0.1',
            port,
            servername: 'proxy.example.test',
            rejectUnauthorized: false,
          });
          socket.once('secureConnect', () => {
            const issuerCn = String(socket.getPeerCertificate().issuer?.CN ?? '');
            socket.destroy();
            resolve(/pebble/i.test(issuerCn) ? issuerCn : undefined);
          });
          socket.once('error', () => resolve(undefined));
        }),
      { timeout: 60_000, interval: 200, what: 'the ACME certificate on websecure' },
    );
    assert.match(issuer, /Pebble/i);
  });
});
