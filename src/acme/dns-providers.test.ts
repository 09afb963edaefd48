import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDnsProvider, type DnsChallengeRecord } from './dns-providers.js';

const record: DnsChallengeRecord = {
  domain: 'example.test',
  fqdn: '_acme-challenge.example.test.',
  value: 'digest-value',
  token: 'tok',
  keyAuthorization: 'tok.thumb',
};

describe('DNS-01 providers', () => {
  it("exec runs EXEC_PATH with lego's arguments (default and RAW); a failing program fails the challenge", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-dns-exec-'));
    try {
      const log = join(dir, 'calls.txt');
      const script = join(dir, 'dns.sh');
      await writeFile(script, `#!/bin/sh\necho "$@" >> ${log}\n[ "$2" != "fail." ]\n`);
      await chmod(script, 0o755);
      const plain = createDnsProvider('exec', { EXEC_PATH: script, PATH: process.env.PATH });
      await plain.present(record);
      await plain.cleanup(record);
      const raw = createDnsProvider('EXEC', { EXEC_PATH: script, EXEC_MODE: 'RAW', PATH: process.env.PATH });
      await raw.present(record);
      assert.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), [
        'present _acme-challenge.example.test. digest-value',
        'cleanup _acme-challenge.example.test. digest-value',
        'present example.test. -- tok tok.thumb',
      ]);
      await assert.rejects(raw.present({ ...record, domain: 'fail' }), /exec DNS provider: .* present failed/);
      assert.equal(plain.propagationTimeoutMs, 60_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("httpreq posts lego's JSON to HTTPREQ_ENDPOINT/present and /cleanup, with basic auth; an error status fails", async () => {
    const calls: { url: string; auth: string | undefined; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        calls.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(body.includes('refuse') ? 500 : 200).end('nope');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns`;
    try {
      const provider = createDnsProvider('httpreq', {
        HTTPREQ_ENDPOINT: endpoint,
        HTTPREQ_USERNAME: 'u',
        HTTPREQ_PASSWORD: 'p',
      });
      await provider.present(record);
      await provider.cleanup(record);
      await createDnsProvider('httpreq', { HTTPREQ_ENDPOINT: endpoint, HTTPREQ_MODE: 'RAW' }).present(record);
      assert.deepEqual(calls, [
        {
          url: '/dns/present',
          auth: `Basic ${Buffer.from('u:p').toString('base64')}`,
          body: { fqdn: record.fqdn, value: record.value },
        },
        {
          url: '/dns/cleanup',
          auth: `Basic ${Buffer.from('u:p').toString('base64')}`,
          body: { fqdn: record.fqdn, value: record.value },
        },
        { url: '/dns/present', auth: undefined, body: { domain: 'example.test', token: 'tok', keyAuth: 'tok.thumb' } },
      ]);
      await assert.rejects(provider.present({ ...record, value: 'refuse' }), /answered 500: nope/);
    } finally {
      server.close();
    }
  });

  it('an unknown provider or a missing variable is a clear error', () => {
    assert.throws(
      () => createDnsProvider('cloudflare', {}),
      /"cloudflare" is not implemented; implemented: exec, httpreq/,
    );
    assert.throws(() => createDnsProvider('exec', {}), /needs EXEC_PATH/);
    assert.throws(() => createDnsProvider('httpreq', {}), /needs HTTPREQ_ENDPOINT/);
  });
});
