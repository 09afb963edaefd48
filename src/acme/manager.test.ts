import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCertificate } from '../../test/helpers/acme-certs.js';
import { waitFor } from '../../test/helpers/http.js';
import { memoryLogger } from '../../test/helpers/proxy.js';
import { acmeSchema } from '../config/acme-schema.js';
import { ConfigError } from '../errors.js';
import { formatAcmeJson } from './acme-json.js';
import { wantedCertificates } from './domains.js';
import { AcmeManager } from './manager.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-manager-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Nothing listens on port 1: an order that starts fails at once, so a test sees whether one started.
const unreachable = 'https://127.0.0.1:1/dir';

function build(storage: string, extra: Record<string, unknown> = {}) {
  const logger = memoryLogger();
  const pushed: { certPem: string }[][] = [];
  const manager = new AcmeManager({
    resolvers: {
      le: {
        acme: acmeSchema.parse({ caServer: unreachable, storage, httpChallenge: { entryPoint: 'web' }, ...extra }),
      },
    },
    logger,
    onCertificates: (_r, entries) => pushed.push(entries),
    entryPoints: ['web'],
    env: {},
    cwd: dir,
    accountKeyBits: 1024,
  });
  return { manager, logger, pushed };
}

const routers = (host: string) => [
  { name: 'r@file', status: 'enabled', config: { rule: `Host(\`${host}\`)`, tls: { certResolver: 'le' } } },
];

async function storeWith(file: string, names: string[], notAfter: Date) {
  const cert = await makeCertificate({ names, notAfter });
  const data = new Map([
    [
      'le',
      {
        certificates: [
          {
            domain: { main: names[0]!, sans: names.slice(1) },
            certPem: cert.certPem,
            keyPem: cert.keyPem,
            store: 'default',
          },
        ],
      },
    ],
  ]);
  await writeFile(join(dir, file), formatAcmeJson(data), { mode: 0o600 });
  return cert;
}

describe('the ACME manager', () => {
  it('serves a stored certificate at start and does not order it again while it is not due', async () => {
    const cert = await storeWith(
      'valid.json',
      ['kept.test', 'www.kept.test'],
      new Date(Date.now() + 60 * 24 * 3_600_000),
    );
    const { manager, logger, pushed } = build('valid.json');
    // A first build may come before the storage is read: it waits for it.
    manager.update(wantedCertificates(routers('www.kept.test'), {}, manager.resolverNames()).certificates);
    await manager.start();
    assert.equal(pushed[0]?.[0]?.certPem, cert.certPem);
    await manager.settled();
    manager.stop();
    assert.equal(logger.lines.filter((l) => /ordering|renewing/.test(l.msg ?? '')).length, 0);
    const [status] = manager.status().certificates;
    assert.equal(status?.state, 'valid');
    assert.deepEqual(status?.wantedBy, ['r@file']);
    assert.equal(status?.issuer, 'Switchyard test CA');
  });

  it('renews a stored certificate that is due, keeps serving it when that fails, and says why', async () => {
    const cert = await storeWith('due.json', ['due.test'], new Date(Date.now() + 5 * 24 * 3_600_000));
    const { manager, logger, pushed } = build('due.json');
    await manager.start();
    manager.update(wantedCertificates(routers('due.test'), {}, manager.resolverNames()).certificates);
    const status = await waitFor(() => manager.status().certificates.find((c) => c.lastError), {
      timeout: 20_000,
      what: 'the failed renewal',
    });
    manager.stop();
    assert.ok(logger.lines.some((l) => l.msg === 'renewing ACME certificate'));
    assert.equal(status.state, 'valid', 'the old certificate is still held');
    assert.match(status.lastError ?? '', /cannot reach the ACME server https:\/\/127\.0\.0\.1:1\/dir: .*ECONNREFUSED/);
    assert.equal(pushed.at(-1)?.[0]?.certPem, cert.certPem);
  });

  it('a corrupt storage file is reported in the status and the manager still starts', async () => {
    await writeFile(join(dir, 'broken.json'), '{"le": [', { mode: 0o600 });
    const { manager } = build('broken.json');
    await manager.start();
    manager.stop();
    const { storageErrors } = manager.status();
    assert.equal(storageErrors.length, 1);
    assert.match(storageErrors[0]!.error, /broken\.json is not a valid acme\.json/);
  });

  it('configuration faults name the key: unknown challenge entry point, a DNS provider without its settings, unreadable CA file; an unimplemented DNS provider does not stop the process', () => {
    const make = (acme: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
      new AcmeManager({
        resolvers: { le: { acme: acmeSchema.parse({ caServer: unreachable, ...acme }) } },
        logger: memoryLogger(),
        onCertificates: () => undefined,
        entryPoints: ['web'],
        env,
      });
    assert.throws(
      () => make({ httpChallenge: { entryPoint: 'nope' } }),
      (e: unknown) =>
        e instanceof ConfigError && e.location === 'certificatesResolvers.le.acme.httpChallenge.entryPoint',
    );
    // A provider of lego's that Switchyard lacks is a warning at load (static-unimplemented.ts) and
    // fails each order: the process still starts. A known provider missing its settings is refused.
    assert.doesNotThrow(() => make({ dnsChallenge: { provider: 'route53' } }));
    assert.throws(
      () => make({ dnsChallenge: { provider: 'exec' } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /EXEC_PATH/.test(e.message) &&
        e.location === 'certificatesResolvers.le.acme.dnsChallenge.provider',
    );
    assert.throws(
      () => make({ tlsChallenge: {} }, { LEGO_CA_CERTIFICATES: join(dir, 'missing-ca.pem') }),
      /cannot read the CA file .*missing-ca\.pem/,
    );
  });
});
