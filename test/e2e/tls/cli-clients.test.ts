/**
 * HTTPS against Debian's clients (the `tls` suite, run by .ci/run): curl verifying the served
 * certificate against its CA with SNI, curl following the entry point redirection to https, and
 * `openssl s_client` seeing the default certificate, a TLS 1.2 refusal under
 * `minVersion: VersionTLS13`, and the sniStrict alert; `curl --http2` and `h2load` get HTTP/2 by ALPN. Certificates are made in process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { makeCa, makeCertificate } from '../../helpers/certificates.js';
import { freePort } from '../../helpers/ports.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

const missing = ['curl', 'openssl'].filter((tool) => spawnSync(tool, ['--version']).error !== undefined);
const skip = missing.length > 0 ? `needs ${missing.join(' and ')}` : false;
const h2loadMissing = spawnSync('h2load', ['--version']).error !== undefined ? 'needs h2load (nghttp2-client)' : false;

/** Runs a client without blocking the event loop (the proxy runs in this process). */
function run(cmd: string, args: string[], input = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.stdin.end(input);
  });
}

describe('HTTPS with curl and openssl s_client', { skip }, () => {
  let backend: Backend;
  let proxy: TestProxy;
  let caFile: string;
  let securePort: number;

  before(async () => {
    backend = await startBackend('app');
    const ca = await makeCa();
    const site = await makeCertificate(ca, ['site.test', 'modern.test']);
    securePort = await freePort();
    proxy = await startProxy(
      {
        http: {
          routers: {
            site: { rule: 'Host(`site.test`)', service: 'app' },
            modern: { rule: 'Host(`modern.test`)', service: 'app', tls: { options: 'modern' } },
            strict: { rule: 'Host(`strict.test`)', service: 'app', tls: { options: 'strict' } },
          },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
        tls: {
          certificates: [{ certFile: site.certPem, keyFile: site.keyPem }],
          options: { modern: { minVersion: 'VersionTLS13' }, strict: { sniStrict: true } },
        },
      },
      [
        '--entryPoints.web.http.redirections.entryPoint.to=websecure',
        `--entryPoints.websecure.address=127.0.0.1:${securePort}`,
        '--entryPoints.websecure.http.tls=true',
      ],
    );
    caFile = join(proxy.dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
  });

  after(async () => {
    await proxy?.stop();
    await backend?.close();
  });

  it('curl verifies the certificate served for the SNI and gets the answer', async () => {
    const r = await run('curl', [
      '-sS',
      '--cacert',
      caFile,
      '--resolve',
      `site.test:${securePort}:127.0.0.1`,
      `https://site.test:${securePort}/x`,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"x-forwarded-proto":"https"/);
  });

  it('curl --http2 gets HTTP/2 by ALPN, and HTTP/1.1 when it asks for it, on the same entry point', async () => {
    const ask = (flag: string) =>
      run('curl', [
        '-sS',
        flag,
        '--cacert',
        caFile,
        '--resolve',
        `site.test:${securePort}:127.0.0.1`,
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{http_version}',
        `https://site.test:${securePort}/v`,
      ]);
    const h2 = await ask('--http2');
    assert.equal(h2.code, 0, h2.out);
    assert.equal(h2.out, '200 2');
    const h1 = await ask('--http1.1');
    assert.equal(h1.code, 0, h1.out);
    assert.equal(h1.out, '200 1.1');
  });

  it('h2load over TLS completes every request (-c10 -m10 -n2000)', { skip: h2loadMissing }, async () => {
    // h2load cannot verify a private CA: it negotiates h2 and counts answers, the certificate
    // check is the curl case's.
    const r = await run('h2load', [
      '-c10',
      '-m10',
      '-n2000',
      `--connect-to=127.0.0.1:${securePort}`,
      `https://site.test:${securePort}/load`,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Application protocol: h2/);
    assert.match(r.out, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed/);
  });

  it('curl follows the plaintext entry point to https', async () => {
    const r = await run('curl', [
      '-sS',
      '-L',
      '--cacert',
      caFile,
      '--resolve',
      `site.test:${proxy.port}:127.0.0.1`,
      '--resolve',
      `site.test:${securePort}:127.0.0.1`,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{url_effective} %{num_redirects}',
      `http://site.test:${proxy.port}/a`,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, `200 https://site.test:${securePort}/a 1`);
  });

  it('openssl s_client sees the default certificate for an unknown name', async () => {
    const r = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${securePort}`, '-servername', 'nobody.test'],
      'Q\n',
    );
    assert.match(r.out, /subject=CN ?= ?TRAEFIK DEFAULT CERT/);
  });

  it('openssl s_client is refused TLS 1.2 where the options ask for TLS 1.3, and gets TLS 1.3', async () => {
    const refused = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${securePort}`, '-servername', 'modern.test', '-tls1_2'],
      'Q\n',
    );
    assert.notEqual(refused.code, 0, refused.out);
    assert.match(refused.out, /alert protocol version|no protocols available|wrong version/i);
    const ok = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${securePort}`, '-servername', 'modern.test'],
      'Q\n',
    );
    assert.match(ok.out, /TLSv1\.3/);
  });

  it('openssl s_client gets an alert for a name without a certificate under sniStrict', async () => {
    const r = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${securePort}`, '-servername', 'strict.test'],
      'Q\n',
    );
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /alert/i);
  });
});
