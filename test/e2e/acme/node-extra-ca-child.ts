/**
 * Run by acme.test.ts in a process started with NODE_EXTRA_CA_CERTS (Node reads it only at
 * start): orders one certificate from pebble over DNS-01 with the httpreq provider, whose
 * endpoint is a small server here that forwards to challtestsrv. Prints the status as JSON and
 * exits 0 when the certificate is held.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AcmeManager, wantedCertificates } from '../../../src/acme/index.js';
import { acmeSchema } from '../../../src/config/acme-schema.js';

const env = process.env;
const forwarder = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk));
  req.on('end', async () => {
    const { fqdn, value } = JSON.parse(body) as { fqdn: string; value: string };
    const present = req.url === '/present';
    const answer = await fetch(`${env.CHALLTESTSRV}/${present ? 'set-txt' : 'clear-txt'}`, {
      method: 'POST',
      body: JSON.stringify(present ? { host: fqdn, value } : { host: fqdn }),
    });
    res.writeHead(answer.ok ? 200 : 502).end();
  });
});
await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
const port = (forwarder.address() as AddressInfo).port;

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const manager = new AcmeManager({
  resolvers: {
    le: {
      acme: acmeSchema.parse({
        caServer: env.ACME_DIRECTORY,
        storage: env.ACME_STORAGE,
        keyType: 'EC256',
        dnsChallenge: { provider: 'httpreq', resolvers: [env.DNS_SERVER] },
      }),
    },
  },
  logger: silent,
  onCertificates: () => undefined,
  env: { ...env, HTTPREQ_ENDPOINT: `http://127.0.0.1:${port}`, HTTPREQ_POLLING_INTERVAL: '0.2' },
  pollMinMs: 100,
  pollMaxMs: 500,
  accountKeyBits: 2048,
});
await manager.start();
const routers = [
  { name: 'x@file', status: 'enabled', config: { rule: 'Host(`extra-ca.example.test`)', tls: { certResolver: 'le' } } },
];
manager.update(wantedCertificates(routers, {}, manager.resolverNames()).certificates);
const deadline = Date.now() + 60_000;
let status = manager.status().certificates;
while (Date.now() < deadline && !status.some((c) => c.state === 'valid' || c.state === 'failed')) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  status = manager.status().certificates;
}
manager.stop();
forwarder.close();
process.stdout.write(`${JSON.stringify(status)}\n`);
process.exit(status.some((c) => c.state === 'valid') ? 0 : 1);
