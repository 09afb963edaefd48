import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newSessionId, SessionCounter, sessionIdFromCookie } from './sessions.js';

describe('session counter', () => {
  it('forgets the least recently used session beyond its bound', () => {
    const counter = new SessionCounter(2);
    counter.visit('aaaaaaaa');
    counter.visit('bbbbbbbb');
    counter.visit('aaaaaaaa'); // a is now the most recent
    counter.visit('cccccccc'); // evicts b
    assert.equal(counter.size, 2);
    assert.equal(counter.visit('aaaaaaaa'), 3);
    assert.equal(counter.visit('bbbbbbbb'), 1);
  });

  it('reads the session id among other cookies and rejects malformed values', () => {
    const id = newSessionId();
    assert.equal(sessionIdFromCookie(`a=1; sy_session=${id}; b=2`), id);
    assert.equal(sessionIdFromCookie('sy_session=short'), undefined);
    assert.equal(sessionIdFromCookie('xsy_session=abcdefghij'), undefined);
    assert.equal(sessionIdFromCookie(undefined), undefined);
  });
});
