/**
 * ACME resolvers against a real ACME server (Debian's pebble, with challtestsrv as its DNS).
 * Challenges are served by small listeners built from the manager's own responders on the ports
 * pebble validates (real sockets): `httpChallengeResponse` behind an HTTP server, and
 * `challengeContext` behind a TLS server offering `acme-tls/1`. The through-the-proxy test is in
 * proxy.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  AcmeManager,
  type AcmeManagerOptions,
  type RouterForAcme,
  wantedCertificates,
} from '../../../src/acme/index.js';
import { acmeSchema } from '../../../src/config/acme-schema.js';
import { waitFor } from '../../helpers/http.js';
import { type Pebble, startPebble } from '../../helpers/pebble.js';
import { memoryLogger } from '../../helpers/proxy.js';

let pebble: Pebble;
let dir: string;
let httpServer: Server;
let tlsServer: TlsServer;
/** The managers the challenge listeners ask, newest first (each test adds its own). */
const managers: AcmeManager[] = [];

function answerHttp(host: string | undefined, path: string): string | undefined {
  for (const m of managers) {
    const answer = m.httpChallengeResponse(host, path);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

before(async () => {
  pebble = await startPebble();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-'));
  httpServer = createHttpServer((req, res) => {
    const answer = answerHttp(req.headers.host, req.url ?? '/');
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(answer ?? 'not a challenge');
  });
  tlsServer = createTlsServer({
    ALPNProtocols: ['acme-tls/1'],
    SNICallback: (name, cb) => {
      for (const m of managers) {
        const context = m.challengeContext(name);
        if (context) return cb(null, context);
      }
      cb(new Error(`no challenge for ${name}`));
    },
  });
  tlsServer.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => httpServer.listen(pebble.httpPort, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => tlsServer.listen(pebble.tlsPort, '127.0.0.1', resolve));
});

after(async () => {
  for (const m of managers) m.stop();
  await Promise.all(managers.map((m) => m.settled()));
  httpServer?.close();
  tlsServer?.close();
  await pebble?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A manager for one resolver `le` with the given `acme` keys, trusting pebble through LEGO_CA_CERTIFICATES. */
function manager(
  acme: Record<string, unknown>,
  extra: Partial<AcmeManagerOptions> = {},
): { manager: AcmeManager; logger: ReturnType<typeof memoryLogger>; pushed: { certPem: string; keyPem: string }[][] } {
  const logger = memoryLogger();
  const pushed: { certPem: string; keyPem: string }[][] = [];
  const m = new AcmeManager({
    resolvers: {
      le: {
        acme: acmeSchema.parse({ caServer: pebble.directory, keyType: 'EC256', email: 'ops@example.test', ...acme }),
      },
    },
    logger,
    onCertificates: (_resolver, entries) => pushed.push(entries),
    env: { LEGO_CA_CERTIFICATES: pebble.caFile },
    cwd: dir,
    pollMinMs: 100,
    pollMaxMs: 500,
    retryBaseMs: 60_000,
    accountKeyBits: 2048,
    ...extra,
  });
  managers.unshift(m);
  return { manager: m, logger, pushed };
}

function router(name: string, rule: string, tls: object): RouterForAcme {
  return { name, status: 'enabled', config: { rule, tls } };
}

function orders(logger: ReturnType<typeof memoryLogger>): number {
  return logger.lines.filter((l) => /^(ordering|renewing) ACME certificate$/.test(l.msg ?? '')).length;
}

function sans(certPem: string): string[] {
  return (new X509Certificate(certPem).subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^DNS:/, ''))
    .sort();
}

async function valid(m: AcmeManager, what: string, timeout = 60_000) {
  const settled = await waitFor(
    () => {
      const certificates = m.status().certificates;
      if (certificates.some((c) => c.state === 'failed')) return certificates;
      return certificates.length > 0 && certificates.every((c) => c.state === 'valid') ? certificates : undefined;
    },
    { timeout, interval: 50, what },
  );
  const failed = settled.find((c) => c.state === 'failed');
  if (failed) assert.fail(`${what}: the order failed: ${failed.lastError}\n${pebble.output().slice(-3000)}`);
  return settled;
}

describe('ACME resolvers against pebble', () => {
  it('HTTP-01: several routers naming one domain set make one order; the account and certificate are stored in Traefik layout, 0600', async () => {
    const { manager: m, logger, pushed } = manager({ storage: 'http.json', httpChallenge: { entryPoint: 'web' } });
    await m.start();
    const routers = [
      router('a@file', 'Host(`one.example.test`) || Host(`two.example.test`)', { certResolver: 'le' }),
      router('b@file', 'Host(`two.example.test`) || Host(`one.example.test`)', { certResolver: 'le' }),
      router('c@docker', 'Host(`one.example.test`) && PathPrefix(`/api`)', { certresolver: 'le' }),
    ];
    const wanted = wantedCertificates(routers, {}, m.resolverNames());
    assert.deepEqual(wanted.issues, []);
    assert.equal(wanted.certificates.length, 1);
    // Three configuration builds in a row while the order runs: still one order.
    m.update(wanted.certificates);
    m.update(wanted.certificates);
    m.update(wantedCertificates(routers.slice(1), {}, m.resolverNames()).certificates);
    const [status] = await valid(m, 'the HTTP-01 certificate');
    assert.equal(orders(logger), 1);
    // The latest build names who wants it.
    assert.deepEqual(status?.wantedBy.sort(), ['b@file', 'c@docker']);
    assert.match(status?.issuer ?? '', /Pebble/i);
    const served = pushed.at(-1);
    assert.equal(served?.length, 1);
    assert.deepEqual(sans(served![0]!.certPem), ['one.example.test', 'two.example.test']);

    const path = join(dir, 'http.json');
    await waitFor(async () => (await stat(path).catch(() => undefined))?.size, { what: 'acme.json', timeout: 5000 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const file = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(Object.keys(file), ['le']);
    assert.deepEqual(Object.keys(file.le), ['Account', 'Certificates']);
    assert.deepEqual(Object.keys(file.le.Account), ['Email', 'Registration', 'PrivateKey', 'KeyType']);
    assert.equal(file.le.Account.Email, 'ops@example.test');
    assert.match(file.le.Account.Registration.uri, /^https:\/\/localhost:\d+\//);
    assert.equal(file.le.Account.Registration.body.status, 'valid');
    assert.equal(file.le.Account.KeyType, 'P256');
    // PKCS#1 DER (Go's x509.MarshalPKCS1PrivateKey): an ASN.1 SEQUENCE, not a PEM.
    assert.equal(Buffer.from(file.le.Account.PrivateKey, 'base64')[0], 0x30);
    const [cert] = file.le.Certificates;
    assert.deepEqual(Object.keys(cert), ['domain', 'certificate', 'key', 'Store']);
    assert.equal(cert.Store, 'default');
    assert.deepEqual([cert.domain.main, ...cert.domain.sans].sort(), ['one.example.test', 'two.example.test']);
    assert.match(Buffer.from(cert.certificate, 'base64').toString(), /^-----BEGIN CERTIFICATE-----/);
    assert.match(Buffer.from(cert.key, 'base64').toString(), /^-----BEGIN EC PRIVATE KEY-----/);
    m.stop();

    // A restart reads the file and serves the certificate without ordering again.
    const again = manager({ storage: 'http.json', httpChallenge: { entryPoint: 'web' } });
    await again.manager.start();
    assert.equal(again.pushed[0]?.[0]?.certPem, served![0]!.certPem);
    again.manager.update(wanted.certificates);
    await again.manager.settled();
    assert.equal(orders(again.logger), 0);
    assert.equal(again.manager.status().certificates[0]?.state, 'valid');
    again.manager.stop();
  });

  it('TLS-ALPN-01: the challenge certificate is served for acme-tls/1 and the certificate issued', async () => {
    const { manager: m, pushed } = manager({ storage: 'tls.json', tlsChallenge: {} });
    await m.start();
    const wanted = wantedCertificates(
      [router('t@file', 'Host(`alpn.example.test`)', { certResolver: 'le' })],
      {},
      m.resolverNames(),
    );
    m.update(wanted.certificates);
    await valid(m, 'the TLS-ALPN-01 certificate');
    assert.deepEqual(sans(pushed.at(-1)![0]!.certPem), ['alpn.example.test']);
    m.stop();
  });

  it('DNS-01 with the exec provider: a wildcard from tls.domains, records set through challtestsrv', async () => {
    const script = join(dir, 'dns-exec.mjs');
    await writeFile(
      script,
      [
        '#!/usr/bin/env node',
        'const [action, fqdn, value] = process.argv.slice(2);',
        `const base = ${JSON.stringify(pebble.challtestsrv)};`,
        "const body = action === 'present' ? { host: fqdn, value } : { host: fqdn };",
        "const path = action === 'present' ? '/set-txt' : '/clear-txt';",
        "const res = await fetch(base + path, { method: 'POST', body: JSON.stringify(body) });",
        'process.exit(res.ok ? 0 : 1);',
        '',
      ].join('\n'),
    );
    await chmod(script, 0o755);
    const { manager: m, pushed } = manager(
      { storage: 'dns.json', dnsChallenge: { provider: 'exec', resolvers: [pebble.dnsServer] } },
      {
        env: {
          LEGO_CA_CERTIFICATES: pebble.caFile,
          EXEC_PATH: script,
          EXEC_POLLING_INTERVAL: '0.2',
          PATH: process.env.PATH,
        },
      },
    );
    await m.start();
    const wanted = wantedCertificates(
      [
        router('w@file', 'Host(`x.wild.example.test`)', {
          certResolver: 'le',
          domains: [{ main: 'wild.example.test', sans: ['*.wild.example.test'] }],
        }),
      ],
      {},
      m.resolverNames(),
    );
    m.update(wanted.certificates);
    await valid(m, 'the DNS-01 certificate');
    assert.deepEqual(sans(pushed.at(-1)![0]!.certPem), ['*.wild.example.test', 'wild.example.test']);
    m.stop();
  });

  it('renews a certificate due for renewal (short certificatesDuration, clock moved) and stores the new one', async () => {
    let clock = Date.now();
    const {
      manager: m,
      logger,
      pushed,
    } = manager(
      { storage: 'renew.json', httpChallenge: { entryPoint: 'web' }, certificatesDuration: 1 },
      { now: () => clock, renewalCheckMs: 100 },
    );
    await m.start();
    const wanted = wantedCertificates(
      [router('r@file', 'Host(`renew.example.test`)', { certResolver: 'le' })],
      {},
      m.resolverNames(),
    );
    // The renewed certificate ends about when the first did: with the clock left where it was
    // moved, it would be due at once and renewed again. The clock is set back as it is handed over.
    let firstPem: string | undefined;
    const record = pushed.push.bind(pushed);
    pushed.push = (...entries) => {
      if (firstPem !== undefined && entries[0]?.[0]?.certPem !== firstPem) clock = Date.now();
      return record(...entries);
    };
    m.update(wanted.certificates);
    const [first] = await valid(m, 'the first certificate');
    firstPem = pushed.at(-1)![0]!.certPem;
    // certificatesDuration < 24 h: renew 20 minutes before expiry. Ten minutes before expiry it is due.
    assert.equal(Date.parse(first!.nextRenewal!), Date.parse(first!.notAfter!) - 20 * 60_000);
    clock = Date.parse(first!.notAfter!) - 10 * 60_000;
    await waitFor(() => pushed.at(-1)?.[0]?.certPem !== firstPem, { timeout: 60_000, what: 'a renewed certificate' });
    await valid(m, 'the renewed certificate');
    assert.equal(orders(logger), 2);
    assert.ok(logger.lines.some((l) => l.msg === 'renewing ACME certificate'));
    await m.settled();
    const file = JSON.parse(await readFile(join(dir, 'renew.json'), 'utf8'));
    assert.equal(file.le.Certificates.length, 1);
    assert.equal(Buffer.from(file.le.Certificates[0].certificate, 'base64').toString(), pushed.at(-1)![0]!.certPem);
    m.stop();
  });

  it('a failed validation is reported with the ACME problem document and retried after a back-off', async () => {
    // challtestsrv points this name at 127.0.0.2, where nothing listens: pebble cannot connect.
    await pebble.manage('/add-a', { host: 'nowhere.example.test', addresses: ['127.0.0.2'] });
    const { manager: m, logger } = manager(
      { storage: 'fail.json', httpChallenge: { entryPoint: 'web' } },
      { retryBaseMs: 300 },
    );
    await m.start();
    m.update(
      wantedCertificates(
        [router('f@file', 'Host(`nowhere.example.test`)', { certResolver: 'le' })],
        {},
        m.resolverNames(),
      ).certificates,
    );
    const failed = await waitFor(() => m.status().certificates.find((c) => c.state === 'failed'), {
      timeout: 60_000,
      what: 'a failed order',
    });
    assert.match(failed.lastProblem?.type ?? '', /^urn:ietf:params:acme:error:/);
    assert.match(failed.lastError ?? '', /urn:ietf:params:acme:error:/);
    assert.ok(failed.nextRenewal, 'the next attempt is shown');
    const logged = logger.lines.find(
      (l) => l.level === 'error' && /cannot obtain an ACME certificate for nowhere\.example\.test/.test(l.msg ?? ''),
    );
    assert.ok(logged, 'the failure is logged');
    assert.match(JSON.stringify(logged.obj), /"problem":\{[^}]*"type":"urn:ietf:params:acme:error:/);
    // Retried: a second failure, and the back-off doubles.
    await waitFor(() => logger.lines.filter((l) => /cannot obtain/.test(l.msg ?? '')).length >= 2, {
      timeout: 60_000,
      what: 'a retry',
    });
    const retries = logger.lines
      .filter((l) => /cannot obtain/.test(l.msg ?? ''))
      .map((l) => (l.obj as { retryInMs: number }).retryInMs);
    assert.deepEqual(retries.slice(0, 2), [300, 600]);
    m.stop();
  });

  it('a caServer whose CA is not trusted fails with a clear message naming LEGO_CA_CERTIFICATES and NODE_EXTRA_CA_CERTS', async () => {
    const { manager: m } = manager({ storage: 'untrusted.json', httpChallenge: { entryPoint: 'web' } }, { env: {} });
    await m.start();
    m.update(
      wantedCertificates(
        [router('u@file', 'Host(`untrusted.example.test`)', { certResolver: 'le' })],
        {},
        m.resolverNames(),
      ).certificates,
    );
    const failed = await waitFor(() => m.status().certificates.find((c) => c.state === 'failed'), {
      timeout: 30_000,
      what: 'a failure',
    });
    assert.match(failed.lastError ?? '', /no trusted CA signed/);
    assert.match(failed.lastError ?? '', /LEGO_CA_CERTIFICATES/);
    assert.match(failed.lastError ?? '', /NODE_EXTRA_CA_CERTS/);
    m.stop();
  });

  it('NODE_EXTRA_CA_CERTS alone is enough (a process started with it)', async () => {
    const child = join(dirname(fileURLToPath(import.meta.url)), 'node-extra-ca-child.js');
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const proc = spawn(process.execPath, [child], {
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: pebble.caFile,
          ACME_DIRECTORY: pebble.directory,
          ACME_STORAGE: join(dir, 'extra-ca.json'),
          CHALLTESTSRV: pebble.challtestsrv,
          DNS_SERVER: pebble.dnsServer,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (c: Buffer) => (out += c));
      proc.stderr.on('data', (c: Buffer) => (out += c));
      proc.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /"state":"valid"/);
  });
});
