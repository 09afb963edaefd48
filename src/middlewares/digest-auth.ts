/**
 * digestAuth: HTTP Digest authentication (RFC 2617, MD5, qop=auth) as Traefik's (which uses
 * go-http-auth). Users are `user:realm:HA1` lines (htdigest's format, HA1 = MD5(user:realm:password)),
 * and only those of the middleware's realm count. A request without valid credentials gets
 * 401 with a fresh nonce: `WWW-Authenticate: Digest realm="…", nonce="…", opaque="…",
 * algorithm=MD5, qop="auth"`. Nonces are remembered per middleware with the last nonce count
 * seen: an unknown nonce, or a count that does not grow (a replay), gets the challenge again with
 * `stale=true`. The table holds about NONCE_CAPACITY nonces, dropping the least recently used.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { authUsersOptions, checkRealm, realmOf, userLines } from './auth-users.js';
import { OptionError } from './options.js';
import { constantTimeEqual } from './password-hash.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject(authUsersOptions);

/** Validated digestAuth options. */
export type DigestAuthOptions = z.output<typeof schema>;

/** go-http-auth's ClientCacheSize and ClientCacheTolerance. */
const NONCE_CAPACITY = 1000;
const NONCE_TOLERANCE = 100;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function randomKey(): string {
  return randomBytes(12).toString('base64');
}

/**
 * The parameters of a `Digest` Authorization header (`username="a", nc=00000001, …`), names
 * lower-cased, quoted values unescaped; null when the header is not a Digest one or is malformed.
 */
export function parseDigestParams(header: string): Map<string, string> | null {
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space) !== 'Digest') return null;
  const text = header.slice(space + 1);
  const params = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ' ' || text[i] === ',' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq === -1) return null;
    const name = text.slice(i, eq).trim().toLowerCase();
    if (name === '' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return null;
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return null;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? text.length : comma;
      value = text.slice(i, end).trim();
      i = end;
    }
    params.set(name, value);
  }
  return params;
}

/** A nonce handed out, and the highest nonce count it was used with. */
interface NonceState {
  nc: number;
  lastSeen: number;
}

type Outcome = { user: string } | { stale: boolean };

/** One digestAuth middleware: its users, nonces and answers. */
class DigestAuth {
  private readonly nonces = new Map<string, NonceState>();
  private readonly opaque = randomKey();
  private readonly headerField: string;

  constructor(
    /** HA1 by `user:realm`. */
    private readonly users: ReadonlyMap<string, string>,
    private readonly realm: string,
    headerField: string,
    private readonly removeHeader: boolean,
  ) {
    this.headerField = headerField.toLowerCase();
  }

  handle(ctx: RequestContext, next: Handler): void {
    const outcome = this.check(ctx);
    if (!('user' in outcome)) {
      this.challenge(ctx, outcome.stale);
      return;
    }
    ctx.user = outcome.user;
    const headers = ctx.req.headers;
    if (this.headerField !== '') headers[this.headerField] = outcome.user;
    if (this.removeHeader) delete headers.authorization;
    next(ctx);
  }

  /** go-http-auth's CheckAuth: the user, or why not. */
  private check(ctx: RequestContext): Outcome {
    const header = ctx.req.headers.authorization;
    if (header === undefined) return { stale: false };
    const auth = parseDigestParams(header);
    if (auth === null) return { stale: false };
    const algorithm = auth.get('algorithm') ?? 'MD5';
    if (auth.get('opaque') !== this.opaque || algorithm !== 'MD5' || auth.get('qop') !== 'auth') {
      return { stale: false };
    }
    const uri = auth.get('uri') ?? '';
    const requestUri = ctx.req.url ?? '/';
    if (uri !== requestUri) {
      // As go-http-auth: the digest's uri may be a path prefix of the request's.
      const uriPath = uri.split('?')[0] as string;
      const requestPath = requestUri.split('?')[0] as string;
      if (uriPath.length > requestPath.length || !requestPath.startsWith(uriPath)) return { stale: false };
    }
    const username = auth.get('username') ?? '';
    const nonce = auth.get('nonce') ?? '';
    const ncText = auth.get('nc') ?? '';
    const ha1 = this.users.get(`${username}:${this.realm}`) ?? '';
    const ha2 = md5(`${ctx.req.method ?? 'GET'}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${ncText}:${auth.get('cnonce') ?? ''}:auth:${ha2}`);
    if (ha1 === '' || !constantTimeEqual(expected, auth.get('response') ?? '')) return { stale: false };
    if (!/^[0-9a-fA-F]{1,16}$/.test(ncText)) return { stale: false };
    const nc = Number.parseInt(ncText, 16);
    const state = this.nonces.get(nonce);
    // A nonce we did not hand out (or forgot), or a count that did not grow: ask again, stale.
    if (state === undefined || (state.nc !== 0 && state.nc >= nc)) return { stale: true };
    state.nc = nc;
    state.lastSeen = Date.now();
    return { user: username };
  }

  private challenge(ctx: RequestContext, stale: boolean): void {
    const res = ctx.res;
    if (this.nonces.size > NONCE_CAPACITY + NONCE_TOLERANCE) this.purge(NONCE_TOLERANCE * 2);
    const nonce = randomKey();
    this.nonces.set(nonce, { nc: 0, lastSeen: Date.now() });
    const body = '401 Unauthorized\n';
    res.writeHead(401, {
      'www-authenticate':
        `Digest realm="${this.realm}", nonce="${nonce}", opaque="${this.opaque}", algorithm=MD5, qop="auth"` +
        (stale ? ', stale=true' : ''),
      'content-type': 'text/plain',
      'content-length': body.length,
    });
    res.end(body);
  }

  /** Forgets the `count` least recently used nonces. */
  private purge(count: number): void {
    const oldest = [...this.nonces.entries()].sort((a, b) => a[1].lastSeen - b[1].lastSeen).slice(0, count);
    for (const [nonce] of oldest) this.nonces.delete(nonce);
  }
}

/** The digestAuth middleware type. */
export const digestAuth: MiddlewareDefinition<DigestAuthOptions> = {
  type: 'digestAuth',
  schema,
  build(options) {
    const users = new Map<string, string>();
    for (const line of userLines(options)) {
      const parts = line.text.split(':');
      if (parts.length !== 3 || parts[0] === '') {
        throw new OptionError(line.field, `${line.where}expected "user:realm:HA1" (as htdigest writes it)`);
      }
      const [name, userRealm, ha1] = parts as [string, string, string];
      users.set(`${name}:${userRealm}`, ha1);
    }
    const realm = realmOf(options.realm);
    checkRealm(realm);
    const instance = new DigestAuth(users, realm, options.headerField ?? '', options.removeHeader === true);
    return (next: Handler): Handler =>
      (ctx) =>
        instance.handle(ctx, next);
  },
};
