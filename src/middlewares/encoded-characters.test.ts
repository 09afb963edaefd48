import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serve, type TestServer } from '../../test/helpers/middleware-harness.js';

// Expected answers from Traefik's encoded_characters_test.go: 400 and an empty body for a denied
// escape in the path (either hex case), the request untouched otherwise.
describe('encodedCharacters', () => {
  let strict: TestServer;
  let slash: TestServer;
  let all: TestServer;
  before(async () => {
    strict = await serve({ encodedCharacters: {} });
    slash = await serve({ encodedcharacters: { allowencodedslash: 'true', allowEncodedQuestionMark: true } });
    all = await serve({
      encodedCharacters: {
        allowEncodedSlash: true,
        allowEncodedBackSlash: true,
        allowEncodedNullCharacter: true,
        allowEncodedSemicolon: true,
        allowEncodedPercent: true,
        allowEncodedQuestionMark: true,
        allowEncodedHash: true,
      },
    });
  });
  after(async () => {
    await strict.close();
    await slash.close();
    await all.close();
  });

  const denied = ['%2F', '%2f', '%5C', '%5c', '%00', '%3B', '%3b', '%25', '%3F', '%3f', '%23'];

  it('refuses every ambiguous escape by default, with an empty 400', async () => {
    for (const encoded of denied) {
      const reply = await strict.request(`/a${encoded}b`);
      assert.equal(reply.status, 400, encoded);
      assert.equal(reply.body, '', encoded);
      assert.equal(reply.echo, null);
    }
  });

  it('passes other escapes, and escapes in the query', async () => {
    for (const path of ['/a%41b', '/a%20b', '/plain', '/a?x=%2F%3F']) {
      const reply = await strict.request(path);
      assert.equal(reply.status, 200, path);
      assert.notEqual(reply.echo, null);
    }
  });

  it('refuses a path ending in an incomplete escape', async () => {
    assert.equal((await strict.request('/a%2')).status, 400);
    assert.equal((await strict.request('/a%')).status, 400);
    // With every key true Traefik's middleware does not look at the path at all.
    assert.equal((await all.request('/a%')).status, 200);
  });

  it('allows what its keys allow (label spelling too), and nothing else', async () => {
    assert.equal((await slash.request('/a%2Fb')).status, 200);
    assert.equal((await slash.request('/a%3fb')).status, 200);
    assert.equal((await slash.request('/a%5Cb')).status, 400);
    for (const encoded of denied) assert.equal((await all.request(`/a${encoded}b`)).status, 200, encoded);
  });
});
