/**
 * Sticky sessions with a cookie (`sticky.cookie`), as Traefik v3 does them: the cookie holds the
 * first 16 hex characters of the SHA-256 of the server URL (or of the child service name, on a
 * weighted service), never the address itself. Hashes and Set-Cookie strings are computed when
 * the service is built, so a request only reads one cookie and looks it up in a map.
 */
import { createHash } from 'node:crypto';
import type { StickyConfig } from '../config/dynamic-schema.js';
import type { RequestContext } from '../core/request-context.js';
import type { Candidate } from './strategy.js';

/** The cookie value for a server URL or child service name. */
export function stickyValue(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** The cookie name used when none is configured: derived from the service name, like Traefik's. */
export function defaultCookieName(serviceName: string): string {
  return `_${createHash('sha1').update(serviceName).digest('hex').slice(0, 6)}`;
}

const SAME_SITE = new Map([
  ['none', 'None'],
  ['lax', 'Lax'],
  ['strict', 'Strict'],
]);

/** Characters RFC 6265 allows in a cookie name (a token). */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A sticky cookie over a fixed set of candidates. */
export class StickyCookie<C extends Candidate> {
  readonly name: string;
  private readonly byValue = new Map<string, C>();
  private readonly setCookie = new Map<C, string>();

  /** Throws with the offending key (relative to `sticky.cookie`) when an option is invalid. */
  constructor(config: NonNullable<StickyConfig['cookie']>, serviceName: string, candidates: readonly C[]) {
    this.name = config.name !== undefined && config.name !== '' ? config.name : defaultCookieName(serviceName);
    if (!COOKIE_NAME.test(this.name))
      throw new Error(`sticky.cookie.name: invalid cookie name ${JSON.stringify(this.name)}`);
    let attributes = `; Path=${config.path ?? '/'}`;
    if (config.domain !== undefined && config.domain !== '') attributes += `; Domain=${config.domain}`;
    // Traefik: a negative maxAge deletes the cookie at once, 0 makes it a session cookie.
    if (config.maxAge !== undefined && config.maxAge !== 0) attributes += `; Max-Age=${Math.max(0, config.maxAge)}`;
    if (config.httpOnly === true) attributes += '; HttpOnly';
    if (config.secure === true) attributes += '; Secure';
    if (config.sameSite !== undefined && config.sameSite !== '') {
      const sameSite = SAME_SITE.get(config.sameSite.toLowerCase());
      if (sameSite === undefined) {
        throw new Error(`sticky.cookie.sameSite: expected none, lax or strict, got ${JSON.stringify(config.sameSite)}`);
      }
      attributes += `; SameSite=${sameSite}`;
    }
    for (const candidate of candidates) {
      const value = stickyValue(candidate.key);
      this.byValue.set(value, candidate);
      this.setCookie.set(candidate, `${this.name}=${value}${attributes}`);
    }
  }

  /** The candidate the request's cookie pins, if it names one of ours. */
  pinned(cookieHeader: string | undefined): C | undefined {
    if (cookieHeader === undefined) return undefined;
    const value = readCookie(cookieHeader, this.name);
    return value === undefined ? undefined : this.byValue.get(value);
  }

  /** Adds the Set-Cookie that pins the client to `candidate` to the response. */
  pin(ctx: RequestContext, candidate: C): void {
    const header = this.setCookie.get(candidate);
    if (header !== undefined) setResponseCookie(ctx, this.name, header);
  }
}

/** Adds a Set-Cookie to the response, replacing one this request already set for the same cookie. */
export function setResponseCookie(ctx: RequestContext, name: string, header: string): void {
  const list = ctx.responseHeaders;
  if (list === null) {
    ctx.responseHeaders = [['Set-Cookie', header]];
    return;
  }
  for (const entry of list) {
    // A retry may re-pin the same cookie: the last choice is the one that served the request.
    if (entry[0] === 'Set-Cookie' && entry[1].startsWith(name) && entry[1].charCodeAt(name.length) === 61) {
      entry[1] = header;
      return;
    }
  }
  list.push(['Set-Cookie', header]);
}

/** Reads one cookie from a Cookie header without splitting it into a map. */
export function readCookie(header: string, name: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = header.indexOf(name, from);
    if (at === -1) return undefined;
    const end = at + name.length;
    const before = at === 0 ? 59 : header.charCodeAt(at - 1);
    if ((before === 59 /* ; */ || before === 32) /* space */ && header.charCodeAt(end) === 61 /* = */) {
      const semi = header.indexOf(';', end + 1);
      let value = (semi === -1 ? header.slice(end + 1) : header.slice(end + 1, semi)).trim();
      if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) {
        value = value.slice(1, -1);
      }
      return value;
    }
    from = at + 1;
  }
}
