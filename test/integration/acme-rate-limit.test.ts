/**
 * What pebble cannot be made to do: answer `rateLimited` with `Retry-After`. A minimal ACME
 * server (real HTTP on 127.0.0.1) registers the account, rejects the first nonce (`badNonce`,
 * which the client must retry) and refuses every new order as rate limited for an hour.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AcmeManager, wantedCertificates } from '../../src/acme/index.js';
import { acmeSchema } from '../../src/config/acme-schema.js';
import { waitFor } from '../helpers/http.js';
import { memoryLogger } from '../helpers/proxy.js';

let base = '';
let dir = '';
const posts: string[] = [];
let nonce = 0;
const server = createServer((req, res) => {
  const headers = { 'replay-nonce': `n${++nonce}`, 'content-type': 'application/json' };
  if (req.method === 'GET' && req.url === '/dir') {
    res
      .writeHead(200, headers)
      .end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` }));
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, headers).end();
    return;
  }
  req.resume();
  req.on('end', () => {
    posts.push(req.url ?? '');
    const problem = (status: number, type: string, detail: string, extra: Record<string, string> = {}) =>
      res
        .writeHead(status, { ...headers, 'content-type': 'application/problem+json', ...extra })
        .end(JSON.stringify({ type, detail, status }));
    if (posts.length === 1)
      return problem(400, 'urn:ietf:params:acme:error:badNonce', 'JWS has an invalid anti-replay nonce');
    if (req.url === '/account') {
      res.writeHead(201, { ...headers, location: `${base}/acct/1` }).end(JSON.stringify({ status: 'valid' }));
      return;
    }
    problem(429, 'urn:ietf:params:acme:error:rateLimited', 'too many certificates already issued for "limited.test"', {
      'retry-after': '3600',
    });
  });
});

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'switchyard-acme-limit-'));
});
after(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ACME rate limits', () => {
  it('a badNonce is retried; rateLimited is reported with its problem document and the next try waits for Retry-After', async () => {
    const logger = memoryLogger();
    const manager = new AcmeManager({
      resolvers: {
        le: { acme: acmeSchema.parse({ caServer: `${base}/dir`, storage: 'acme.json', tlsChallenge: {} }) },
      },
      logger,
      onCertificates: () => undefined,
      env: {},
      cwd: dir,
      retryBaseMs: 50,
      accountKeyBits: 2048,
    });
    await manager.start();
    const routers = [
      { name: 'r@file', status: 'enabled', config: { rule: 'Host(`limited.test`)', tls: { certResolver: 'le' } } },
    ];
    const before = Date.now();
    manager.update(wantedCertificates(routers, {}, manager.resolverNames()).certificates);
    const failed = await waitFor(() => manager.status().certificates.find((c) => c.state === 'failed'), {
      timeout: 30_000,
      what: 'the refused order',
    });
    manager.stop();
    assert.deepEqual(posts, ['/account', '/account', '/order']);
    assert.equal(failed.lastProblem?.type, 'urn:ietf:params:acme:error:rateLimited');
    assert.match(failed.lastError ?? '', /rateLimited: too many certificates/);
    assert.ok(
      Date.parse(failed.nextRenewal!) >= before + 3_600_000,
      `next try ${failed.nextRenewal} waits for Retry-After`,
    );
    const logged = logger.lines.find((l) => /cannot obtain an ACME certificate/.test(l.msg ?? ''));
    assert.ok(logged, 'the refusal is logged');
    assert.equal((logged.obj as { retryInMs?: number }).retryInMs, 3_600_000);
  });
});
