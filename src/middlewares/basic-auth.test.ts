import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { buildContext, serve, type TestServer } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { parseBasicCredentials } from './basic-auth.js';
import { CredentialCache } from './credential-cache.js';
import { md5Crypt } from './md5-crypt.js';
import { parsePasswordHash } from './password-hash.js';
import { buildMiddleware } from './registry.js';

const aprMd5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function buildError(config: Record<string, unknown>): MiddlewareError {
  try {
    buildMiddleware('auth', config, buildContext('auth'));
  } catch (error) {
    assert.ok(error instanceof MiddlewareError, String(error));
    return error;
  }
  assert.fail('expected the build to throw');
}

describe('password hashes (htpasswd forms)', () => {
  it('checks bcrypt ($2y$, $2b$, $2a$, $2x$), Apache MD5 and SHA-1 hashes, and refuses wrong passwords', async () => {
    const bcrypted = bcrypt.hashSync('s3cret', 4);
    const forms = [
      bcrypted,
      bcrypted.replace(/^\$2b\$/, '$2y$'),
      bcrypted.replace(/^\$2b\$/, '$2a$'),
      bcrypted.replace(/^\$2b\$/, '$2x$'),
      aprMd5('s3cret'),
      `{SHA}${createHash('sha1').update('s3cret').digest('base64')}`,
    ];
    for (const stored of forms) {
      const hash = parsePasswordHash(stored);
      assert.ok(hash !== null, stored);
      assert.equal(await hash.verify('s3cret'), true, stored);
      assert.equal(await hash.verify('s3cret '), false, stored);
      assert.equal(await hash.verify(''), false, stored);
    }
  });

  it('knows the Apache MD5 hash openssl writes for a fixed salt', async () => {
    // `openssl passwd -apr1 -salt abcdefgh secret`
    const hash = parsePasswordHash('$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/');
    assert.equal(await hash?.verify('secret'), true);
  });

  it('knows the MD5-crypt hashes openssl writes, and computes Apache MD5 as apache-md5 does', async () => {
    // `openssl passwd -1 -salt abcdefgh secret` and `openssl passwd -1 -salt ab pw`
    assert.equal(await parsePasswordHash('$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1')?.verify('secret'), true);
    assert.equal(await parsePasswordHash('$1$ab$b2XAKzcGJvTR.javvk3280')?.verify('pw'), true);
    assert.equal(await parsePasswordHash('$1$ab$b2XAKzcGJvTR.javvk3280')?.verify('pw2'), false);
    // `openssl passwd -apr1 -salt abcdefgh 'pässwörd'`: the UTF-8 bytes are hashed.
    assert.equal(await parsePasswordHash('$apr1$abcdefgh$030j6I3f1zNCF9tihqdd11')?.verify('pässwörd'), true);
    // apache-md5 agrees on ASCII passwords only.
    for (const password of ['', 'a', 'x'.repeat(17), 'p'.repeat(100)]) {
      const stored = aprMd5(password);
      const salt = stored.split('$')[2] as string;
      assert.equal(md5Crypt(password, salt, '$apr1$'), stored, password);
    }
  });

  it('recognises no plain text, crypt or truncated hash', () => {
    for (const stored of [
      'secret',
      'abJnggxhB/yWI',
      '$1$abc$def',
      '$5$salt$x',
      '$apr1$abc',
      '{SHA}abc',
      '$2y$10$short',
      '',
    ]) {
      assert.equal(parsePasswordHash(stored), null, stored);
    }
  });
});

describe('Basic credentials', () => {
  it('reads them as Go does: case-insensitive scheme, strict base64, split at the first colon', () => {
    assert.deepEqual(parseBasicCredentials(basic('ann', 'a:b')), { user: 'ann', password: 'a:b' });
    assert.deepEqual(parseBasicCredentials(`bAsIc ${Buffer.from('u:p').toString('base64')}`), {
      user: 'u',
      password: 'p',
    });
    assert.equal(parseBasicCredentials('Basic'), null);
    assert.equal(parseBasicCredentials('Bearer abc'), null);
    assert.equal(parseBasicCredentials('Basic !!!!'), null);
    assert.equal(parseBasicCredentials('Basic dXNlcg=='), null); // "user", no colon
    assert.equal(parseBasicCredentials('Basic dXNlcjpw'.slice(0, -1)), null); // not a multiple of 4
  });
});

describe('credential cache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const cache = new CredentialCache(2);
    cache.set('a', 'ann');
    cache.set('b', 'bob');
    assert.equal(cache.get('a'), 'ann'); // a is now the most recent
    cache.set('c', 'cid');
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 'ann');
    assert.equal(cache.get('c'), 'cid');
    assert.equal(cache.size, 2);
  });

  it('keys by a digest, never by the header value itself', () => {
    const key = CredentialCache.keyOf(basic('ann', 'pw'));
    assert.ok(!key.includes('ann') && key.length === 44);
  });
});

describe('basicAuth', () => {
  let dir: string;
  let server: TestServer;
  const users = [`ann:${bcrypt.hashSync('pw-ann', 4)}`, `bob:${aprMd5('pw-bob')}`];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'basic-auth-'));
    server = await serve({ basicAuth: { users, realm: 'staff', headerField: 'X-WebAuth-User' } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for credentials with the realm when there are none', async () => {
    const reply = await server.request('/');
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['www-authenticate'], 'Basic realm="staff"');
    assert.equal(reply.headers['content-type'], 'text/plain');
    assert.equal(reply.body, '401 Unauthorized\n');
    assert.equal(reply.echo, null);
  });

  it('lets a known user through, names it in headerField, keeps Authorization by default', async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await server.request('/', { headers: { authorization: basic('ann', 'pw-ann') } });
      assert.equal(reply.status, 200);
      assert.equal(reply.echo?.headers['x-webauth-user'], 'ann');
      assert.equal(reply.echo?.headers.authorization, basic('ann', 'pw-ann'));
    }
    const bob = await server.request('/', { headers: { authorization: basic('bob', 'pw-bob') } });
    assert.equal(bob.echo?.headers['x-webauth-user'], 'bob');
  });

  it('refuses a wrong password, an unknown user and a spoofed headerField', async () => {
    for (const authorization of [basic('ann', 'pw-bob'), basic('eve', 'pw-ann'), 'Basic %%%', 'Digest x']) {
      const reply = await server.request('/', { headers: { authorization, 'x-webauth-user': 'ann' } });
      assert.equal(reply.status, 401, authorization);
    }
  });

  it('answers concurrent requests with the same new credentials alike (one shared check)', async () => {
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => server.request('/', { headers: { authorization: basic('bob', 'pw-bob') } })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
  });

  it('removes the Authorization header with removeHeader, and uses the realm "traefik" by default', async () => {
    const other = await serve({ basicAuth: { users: users.join(','), removeHeader: 'true' } });
    try {
      const ok = await other.request('/', { headers: { authorization: basic('ann', 'pw-ann') } });
      assert.equal(ok.status, 200);
      assert.equal(ok.echo?.headers.authorization, undefined);
      const refused = await other.request('/');
      assert.equal(refused.headers['www-authenticate'], 'Basic realm="traefik"');
    } finally {
      await other.close();
    }
  });

  it('reads usersFile (comments and blank lines skipped), inline users after it', async () => {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `# staff\n\n  cid:${aprMd5('pw-cid')}  \nann:${aprMd5('old')}\n`);
    const other = await serve({ basicAuth: { usersFile: file, users: [users[0]] } });
    try {
      assert.equal((await other.request('/', { headers: { authorization: basic('cid', 'pw-cid') } })).status, 200);
      // The inline ann replaces the file's.
      assert.equal((await other.request('/', { headers: { authorization: basic('ann', 'pw-ann') } })).status, 200);
      assert.equal((await other.request('/', { headers: { authorization: basic('ann', 'old') } })).status, 401);
    } finally {
      await other.close();
    }
  });

  it('names the key and the file in its errors', () => {
    const missing = join(dir, 'missing');
    assert.match(
      buildError({ basicAuth: { usersFile: missing } }).message,
      /^http\.middlewares\.auth\.basicAuth\.usersFile: cannot read the users file ".*missing": no such file/,
    );
    assert.match(
      buildError({ basicAuth: { users: ['ann:plain'] } }).message,
      /basicAuth\.users\.0: the password of user "ann" is not a supported hash/,
    );
    assert.match(
      buildError({ basicAuth: { users: ['nocolon'] } }).message,
      /basicAuth\.users\.0: expected "user:hash"/,
    );
    assert.match(buildError({ basicAuth: {} }).message, /basicAuth\.users: no users/);
    assert.match(buildError({ basicAuth: { users, realm: 'a"b' } }).message, /basicAuth\.realm: /);
    const file = join(dir, 'bad');
    writeFileSync(file, 'ok:{SHA}x\n');
    assert.match(buildError({ basicAuth: { usersFile: file } }).message, /basicAuth\.usersFile: line 1 of .*bad: /);
  });
});
