/**
 * Password hashes as htpasswd (and `openssl passwd`) write them, checked as Traefik's basicAuth
 * checks them: bcrypt (`$2y$`, `$2b$`, `$2a$`, `$2x$`), Apache MD5 (`$apr1$`), MD5-crypt (`$1$`)
 * and SHA-1 (`{SHA}`).
 * Every comparison of a computed hash with the stored one is constant-time. bcrypt runs through
 * bcryptjs's asynchronous API, which yields to the event loop between rounds, so a check (about
 * 50–100 ms at cost 10) never stalls the requests of other clients.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { md5Crypt } from './md5-crypt.js';

/** A stored hash, ready to check passwords against. */
export interface PasswordHash {
  /** `bcrypt`, `apr1`, `md5-crypt` or `sha1` (for docs and errors). */
  readonly kind: string;
  verify(password: string): Promise<boolean>;
}

/** Equal strings, compared in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compared against itself when the lengths differ, so the time taken does not reveal where.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

const BCRYPT = /^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/;
const APR1 = /^\$apr1\$([^$]{1,8})\$[./A-Za-z0-9]{22}$/;
const SHA1 = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;
const MD5_CRYPT = /^\$1\$([^$]{0,8})\$[./A-Za-z0-9]{22}$/;

/** The hash `stored`, or null when it is none of the supported forms. */
export function parsePasswordHash(stored: string): PasswordHash | null {
  if (BCRYPT.test(stored)) {
    // `$2x$` is the crypt_blowfish migration prefix; like Go's bcrypt (and so Traefik), it is
    // checked as `$2a$`, which is right for 7-bit passwords. bcryptjs knows a, b and y.
    const hash = stored.startsWith('$2x$') ? `$2a$${stored.slice(4)}` : stored;
    return { kind: 'bcrypt', verify: (password) => bcrypt.compare(password, hash) };
  }
  // Apache MD5 is computed here rather than with apache-md5, which hashes a non-ASCII password's
  // characters instead of its UTF-8 bytes and so disagrees with htpasswd and openssl.
  const apr1 = APR1.exec(stored);
  if (apr1 !== null) {
    const salt = apr1[1] as string;
    return {
      kind: 'apr1',
      verify: async (password) => constantTimeEqual(md5Crypt(password, salt, '$apr1$'), stored),
    };
  }
  const md5 = MD5_CRYPT.exec(stored);
  if (md5 !== null) {
    const salt = md5[1] as string;
    return { kind: 'md5-crypt', verify: async (password) => constantTimeEqual(md5Crypt(password, salt), stored) };
  }
  if (SHA1.test(stored)) {
    const expected = stored.slice(5);
    return {
      kind: 'sha1',
      verify: async (password) =>
        constantTimeEqual(createHash('sha1').update(password, 'utf8').digest('base64'), expected),
    };
  }
  return null;
}
