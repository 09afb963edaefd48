import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultCookieName, readCookie, StickyCookie, stickyValue } from './sticky.js';

const server = (key: string) => ({ key, weight: 1, available: () => true, load: () => 0 });

describe('sticky cookies', () => {
  it('values a server as the first 16 hex characters of the SHA-256 of its URL', () => {
    const url = 'http://10.0.0.7:8080';
    assert.equal(stickyValue(url), createHash('sha256').update(url).digest('hex').slice(0, 16));
    assert.match(stickyValue(url), /^[0-9a-f]{16}$/);
  });

  it('derives a stable default name from the service name', () => {
    assert.equal(defaultCookieName('api@docker'), defaultCookieName('api@docker'));
    assert.notEqual(defaultCookieName('api@docker'), defaultCookieName('web@docker'));
    assert.match(defaultCookieName('api@docker'), /^_[0-9a-f]{6}$/);
  });

  it('reads one cookie among others, only at a name boundary, with or without quotes', () => {
    assert.equal(readCookie('a=1; lb=abc; b=2', 'lb'), 'abc');
    assert.equal(readCookie('xlb=nope; lb="q"', 'lb'), 'q');
    assert.equal(readCookie('lb=first', 'lb'), 'first');
    assert.equal(readCookie('lbx=1', 'lb'), undefined);
    assert.equal(readCookie('', 'lb'), undefined);
  });

  it('finds the pinned server from the cookie and ignores unknown values', () => {
    const a = server('http://a');
    const sticky = new StickyCookie({ name: 'lb' }, 'svc@file', [a, server('http://b')]);
    assert.equal(sticky.pinned(`lb=${stickyValue('http://a')}`), a);
    assert.equal(sticky.pinned('lb=http://a'), undefined);
    assert.equal(sticky.pinned(undefined), undefined);
  });

  it('rejects a sameSite value other than none, lax or strict, and an invalid name', () => {
    assert.throws(() => new StickyCookie({ sameSite: 'sometimes' }, 's', []), /sticky\.cookie\.sameSite/);
    assert.throws(() => new StickyCookie({ name: 'a b' }, 's', []), /sticky\.cookie\.name/);
  });
});
