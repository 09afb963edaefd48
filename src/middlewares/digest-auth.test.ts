import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { serve, type TestServer } from '../../test/helpers/middleware-harness.js';
import { parseDigestParams } from './digest-auth.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** A client's Authorization header answering `challenge` (RFC 2617, qop=auth). */
function answer(challenge: string, user: string, password: string, method: string, uri: string, nc: number): string {
  const params = parseDigestParams(challenge) as Map<string, string>;
  const realm = params.get('realm') as string;
  const nonce = params.get('nonce') as string;
  const ncText = nc.toString(16).padStart(8, '0');
  const cnonce = 'c0ffee';
  const response = md5(
    `${md5(`${user}:${realm}:${password}`)}:${nonce}:${ncText}:${cnonce}:auth:${md5(`${method}:${uri}`)}`,
  );
  return (
    `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, ` +
    `response="${response}", opaque="${params.get('opaque')}", qop=auth, nc=${ncText}, cnonce="${cnonce}"`
  );
}

describe('digest parameters', () => {
  it('reads quoted values with commas and escapes, and tokens', () => {
    const params = parseDigestParams('Digest username="a\\"b", uri="/x?a=1,2", nc=00000001, qop=auth');
    assert.equal(params?.get('username'), 'a"b');
    assert.equal(params?.get('uri'), '/x?a=1,2');
    assert.equal(params?.get('nc'), '00000001');
    assert.equal(params?.get('qop'), 'auth');
  });

  it('refuses what is not a Digest header or is malformed', () => {
    assert.equal(parseDigestParams('Basic abc'), null);
    assert.equal(parseDigestParams('Digest username="unterminated'), null);
    assert.equal(parseDigestParams('Digest novalue'), null);
  });
});

describe('digestAuth', () => {
  let server: TestServer;
  const ha1 = md5('ann:traefik:pw-ann');

  before(async () => {
    server = await serve({
      digestAuth: { users: [`ann:traefik:${ha1}`, `bob:elsewhere:${ha1}`], headerField: 'X-User' },
    });
  });
  after(() => server.close());

  async function challenge(): Promise<string> {
    const reply = await server.request('/private?x=1');
    assert.equal(reply.status, 401);
    return reply.headers['www-authenticate'] as string;
  }

  it('challenges with realm, nonce, opaque, MD5 and qop=auth', async () => {
    const header = await challenge();
    assert.match(header, /^Digest realm="traefik", nonce="[^"]+", opaque="[^"]+", algorithm=MD5, qop="auth"$/);
  });

  it('lets a correct answer through, names the user, and counts nonces', async () => {
    const header = await challenge();
    const first = answer(header, 'ann', 'pw-ann', 'GET', '/private?x=1', 1);
    const ok = await server.request('/private?x=1', { headers: { authorization: first } });
    assert.equal(ok.status, 200);
    assert.equal(ok.echo?.headers['x-user'], 'ann');
    const second = answer(header, 'ann', 'pw-ann', 'GET', '/private?x=1', 2);
    assert.equal((await server.request('/private?x=1', { headers: { authorization: second } })).status, 200);
    // The same count again is a replay: challenged again, stale.
    const replay = await server.request('/private?x=1', { headers: { authorization: second } });
    assert.equal(replay.status, 401);
    assert.match(replay.headers['www-authenticate'] as string, /, stale=true$/);
  });

  it('refuses a wrong password, another method or URI, a user of another realm, a nonce never handed out', async () => {
    const header = await challenge();
    const cases: Array<[string, string]> = [
      [answer(header, 'ann', 'wrong', 'GET', '/private?x=1', 1), 'GET'],
      [answer(header, 'ann', 'pw-ann', 'POST', '/private?x=1', 1), 'GET'],
      [answer(header, 'ann', 'pw-ann', 'GET', '/other', 1), 'GET'],
      [answer(header, 'bob', 'pw-ann', 'GET', '/private?x=1', 1), 'GET'],
    ];
    for (const [authorization, method] of cases) {
      const reply = await server.request('/private?x=1', { method, headers: { authorization } });
      assert.equal(reply.status, 401, authorization);
      assert.doesNotMatch(reply.headers['www-authenticate'] as string, /stale/);
    }
    const forged = answer(header.replace(/nonce="[^"]+"/, 'nonce="forged"'), 'ann', 'pw-ann', 'GET', '/private?x=1', 1);
    const reply = await server.request('/private?x=1', { headers: { authorization: forged } });
    assert.equal(reply.status, 401);
    assert.match(reply.headers['www-authenticate'] as string, /stale=true/);
  });
});
