import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCertificate } from '../../test/helpers/acme-certs.js';
import { memoryLogger } from '../../test/helpers/proxy.js';
import { certificateFacts, formatAcmeJson, parseAcmeJson } from './acme-json.js';
import { AcmeStore } from './acme-store.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

/** An acme.json exactly as Traefik v3 (lego v4) writes it: PKCS#1 DER account key, base64 PEM certificates. */
async function traefikAcmeJson() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const accountDer = privateKey.export({ type: 'pkcs1', format: 'der' });
  const cert = await makeCertificate({
    names: ['example.com', 'www.example.com'],
    issuerName: "(STAGING) Let's Encrypt",
  });
  const text = JSON.stringify(
    {
      le: {
        Account: {
          Email: 'admin@example.com',
          Registration: {
            body: { status: 'valid', contact: ['mailto:admin@example.com'] },
            uri: 'https://acme-staging-v02.api.letsencrypt.org/acme/acct/123456',
          },
          PrivateKey: b64(accountDer),
          KeyType: '4096',
        },
        Certificates: [
          {
            domain: { main: 'example.com', sans: ['www.example.com'] },
            certificate: b64(cert.certPem),
            key: b64(cert.keyPem),
            Store: 'default',
          },
          { domain: { main: 'empty.example.com' }, certificate: '', key: '', Store: 'default' },
        ],
      },
      other: { Account: null, Certificates: null },
    },
    null,
    2,
  );
  return { text, cert, accountDer };
}

describe('acme.json (Traefik layout)', () => {
  it("reads Traefik's file as is: account key, registration, certificates (empty ones dropped, as Traefik does)", async () => {
    const { text, cert } = await traefikAcmeJson();
    const data = parseAcmeJson(text);
    const le = data.get('le')!;
    assert.equal(le.account?.email, 'admin@example.com');
    assert.equal(le.account?.registration?.uri, 'https://acme-staging-v02.api.letsencrypt.org/acme/acct/123456');
    assert.equal(le.account?.keyType, '4096');
    assert.match(le.account!.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(le.certificates.length, 1);
    assert.deepEqual(le.certificates[0]!.domain, { main: 'example.com', sans: ['www.example.com'] });
    assert.equal(le.certificates[0]!.certPem, cert.certPem);
    assert.equal(le.certificates[0]!.store, 'default');
    assert.deepEqual(data.get('other'), { certificates: [] });
    assert.equal(certificateFacts(cert.certPem)?.issuer, "(STAGING) Let's Encrypt");
  });

  it('writes back the same layout and encodings (the account key stays PKCS#1 DER)', async () => {
    const { text, accountDer } = await traefikAcmeJson();
    const written = JSON.parse(formatAcmeJson(parseAcmeJson(text)));
    const original = JSON.parse(text);
    assert.equal(written.le.Account.PrivateKey, b64(accountDer));
    assert.deepEqual(written.le.Account.Registration, original.le.Account.Registration);
    assert.deepEqual(written.le.Certificates, [original.le.Certificates[0]]);
    assert.deepEqual(written.other, { Account: null, Certificates: null });
  });

  it('names the fault of a file that is not acme.json', () => {
    assert.throws(() => parseAcmeJson('{"le": '), /not valid JSON/);
    assert.throws(() => parseAcmeJson('{"le": {"Certificates": {}}}'), /le\.Certificates: expected a list/);
    assert.throws(
      () =>
        parseAcmeJson(
          '{"le": {"Certificates": [{"domain": {"main": "a"}, "certificate": "bm9wZQ==", "key": "bm9wZQ=="}]}}',
        ),
      /le\.Certificates\[0\]\.certificate: not base64-encoded PEM/,
    );
  });
});

describe('the acme.json store', () => {
  it('writes atomically with mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'atomic.json');
    const store = new AcmeStore(path, memoryLogger());
    await store.load();
    const cert = await makeCertificate({ names: ['a.test'] });
    await store.saveCertificate('le', {
      domain: { main: 'a.test', sans: [] },
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      store: 'default',
    });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir).then((names) => names.filter((n) => n.includes('atomic'))), ['atomic.json']);
    const again = new AcmeStore(path, memoryLogger());
    await again.load();
    assert.equal(again.certificates('le')[0]?.certPem, cert.certPem);
  });

  it('a corrupt file is reported, kept, and copied aside before the first write', async () => {
    const path = join(dir, 'corrupt.json');
    await writeFile(path, '{"le": {"Account": ', { mode: 0o600 });
    const logger = memoryLogger();
    const store = new AcmeStore(path, logger);
    await store.load();
    assert.match(store.loadError ?? '', /corrupt\.json is not a valid acme\.json \(not valid JSON/);
    assert.ok(logger.lines.some((l) => l.level === 'error'));
    assert.equal(await readFile(path, 'utf8'), '{"le": {"Account": ', 'not touched by reading');
    const cert = await makeCertificate({ names: ['b.test'] });
    await store.saveCertificate('le', {
      domain: { main: 'b.test', sans: [] },
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      store: 'default',
    });
    const copies = (await readdir(dir)).filter((n) => n.startsWith('corrupt.json.corrupt-'));
    assert.equal(copies.length, 1);
    assert.equal(await readFile(join(dir, copies[0]!), 'utf8'), '{"le": {"Account": ');
    assert.equal(parseAcmeJson(await readFile(path, 'utf8')).get('le')?.certificates.length, 1);
  });

  it("two instances sharing one file keep each other's certificates; the later expiry wins for the same names", async () => {
    const path = join(dir, 'shared.json');
    const one = new AcmeStore(path, memoryLogger());
    const two = new AcmeStore(path, memoryLogger());
    await Promise.all([one.load(), two.load()]);
    const a = await makeCertificate({ names: ['a.test'] });
    const b = await makeCertificate({ names: ['b.test'] });
    const older = await makeCertificate({ names: ['c.test'], notAfter: new Date(Date.now() + 3_600_000) });
    const newer = await makeCertificate({ names: ['c.test'], notAfter: new Date(Date.now() + 7_200_000) });
    const entry = (names: string, c: { certPem: string; keyPem: string }) => ({
      domain: { main: names, sans: [] },
      certPem: c.certPem,
      keyPem: c.keyPem,
      store: 'default',
    });
    await Promise.all([
      one.saveCertificate('le', entry('a.test', a)),
      two.saveCertificate('le', entry('b.test', b)),
      one.saveCertificate('le', entry('c.test', newer)),
    ]);
    await two.saveCertificate('le', entry('c.test', older));
    const final = parseAcmeJson(await readFile(path, 'utf8')).get('le')!;
    assert.deepEqual(final.certificates.map((c) => c.domain.main).sort(), ['a.test', 'b.test', 'c.test']);
    assert.equal(final.certificates.find((c) => c.domain.main === 'c.test')?.certPem, newer.certPem);
  });

  it('a file others can read is closed to 0600 with a warning', async () => {
    const path = join(dir, 'open.json');
    await writeFile(path, '{}', { mode: 0o644 });
    const logger = memoryLogger();
    await new AcmeStore(path, logger).load();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /too open/.test(l.msg ?? '')));
  });
});
