/**
 * basicAuth: HTTP Basic authentication against htpasswd-style users (`user:hash`, from `users`
 * and `usersFile`), as Traefik's. A request without valid credentials is answered 401 with
 * `WWW-Authenticate: Basic realm="<realm>"`; a valid one goes on with the user name in
 * `headerField` (when set) and without its Authorization header (with `removeHeader`).
 *
 * Verified credentials are remembered per middleware (credential-cache.ts), so bcrypt's cost is
 * paid once per client and password, not per request; concurrent checks of the same header
 * share one computation. An unknown user costs a hash check as a known one does, so response
 * times do not tell which users exist.
 */
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { sendError } from '../proxy/responses.js';
import { authUsersOptions, checkRealm, realmOf, userLines } from './auth-users.js';
import { CredentialCache } from './credential-cache.js';
import { OptionError } from './options.js';
import { type PasswordHash, parsePasswordHash } from './password-hash.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject(authUsersOptions);

/** Validated basicAuth options. */
export type BasicAuthOptions = z.output<typeof schema>;

/** Verified credentials remembered per middleware. */
export const CREDENTIAL_CACHE_SIZE = 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** User and password of a Basic Authorization header, or null when it is not one (as Go reads it). */
export function parseBasicCredentials(header: string): { user: string; password: string } | null {
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** One basicAuth middleware: its users, cache and answers. */
class BasicAuth {
  private readonly cache = new CredentialCache(CREDENTIAL_CACHE_SIZE);
  /** Checks in progress, by cache key: concurrent requests with one header share the work. */
  private readonly pending = new Map<string, Promise<string | null>>();
  private readonly challenge: string;
  private readonly headerField: string;

  constructor(
    private readonly users: ReadonlyMap<string, PasswordHash>,
    /** Checked for unknown users, so they cost what known ones do. */
    private readonly decoy: PasswordHash,
    realm: string,
    headerField: string,
    private readonly removeHeader: boolean,
    private readonly logger: Logger | undefined,
    private readonly name: string,
  ) {
    this.challenge = `Basic realm="${realm}"`;
    this.headerField = headerField.toLowerCase();
  }

  handle(ctx: RequestContext, next: Handler): void {
    const header = ctx.req.headers.authorization;
    if (header === undefined || header === '') {
      this.refuse(ctx);
      return;
    }
    const key = CredentialCache.keyOf(header);
    const known = this.cache.get(key);
    if (known !== undefined) {
      this.pass(ctx, known, next);
      return;
    }
    let check = this.pending.get(key);
    if (check === undefined) {
      check = this.verify(header);
      this.pending.set(key, check);
      const done = (): void => {
        this.pending.delete(key);
      };
      check.then(done, done);
    }
    check.then(
      (user) => {
        // The client may have gone while the hash was computed: nobody waits for an answer.
        if (ctx.res.destroyed || ctx.res.writableEnded) return;
        if (user === null) {
          this.refuse(ctx);
          return;
        }
        this.cache.set(key, user);
        this.pass(ctx, user, next);
      },
      (error: unknown) => {
        this.logger?.error(
          { middleware: this.name, err: (error as Error).message },
          'basicAuth: password check failed',
        );
        sendError(ctx.res, 500);
      },
    );
  }

  /** The user name when the header holds valid credentials, else null. */
  private async verify(header: string): Promise<string | null> {
    const credentials = parseBasicCredentials(header);
    if (credentials === null) return null;
    const hash = this.users.get(credentials.user);
    if (hash === undefined) {
      await this.decoy.verify(credentials.password);
      return null;
    }
    return (await hash.verify(credentials.password)) ? credentials.user : null;
  }

  private pass(ctx: RequestContext, user: string, next: Handler): void {
    ctx.user = user;
    const headers = ctx.req.headers;
    if (this.headerField !== '') headers[this.headerField] = user;
    if (this.removeHeader) delete headers.authorization;
    next(ctx);
  }

  private refuse(ctx: RequestContext): void {
    const res = ctx.res;
    if (res.headersSent) return;
    const body = '401 Unauthorized\n';
    res.writeHead(401, {
      'www-authenticate': this.challenge,
      'content-type': 'text/plain',
      'content-length': body.length,
    });
    res.end(body);
  }
}

/** The users of the options, by name; throws an OptionError naming a bad line. */
function loadUsers(options: BasicAuthOptions): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>();
  for (const line of userLines(options)) {
    const parts = line.text.split(':');
    if (parts.length !== 2 || parts[0] === '') {
      throw new OptionError(line.field, `${line.where}expected "user:hash" (as htpasswd writes it)`);
    }
    const [name, stored] = parts as [string, string];
    const hash = parsePasswordHash(stored);
    if (hash === null) {
      throw new OptionError(
        line.field,
        `${line.where}the password of user ${JSON.stringify(name)} is not a supported hash ` +
          '(bcrypt $2y$/$2b$/$2a$, Apache MD5 $apr1$, MD5-crypt $1$ or {SHA}, as htpasswd -B, -m, -s or openssl passwd -1 write them)',
      );
    }
    users.set(name, hash);
  }
  return users;
}

/** The basicAuth middleware type. */
export const basicAuth: MiddlewareDefinition<BasicAuthOptions> = {
  type: 'basicAuth',
  schema,
  build(options, context) {
    const users = loadUsers(options);
    if (users.size === 0) {
      throw new OptionError(
        options.usersFile ? 'usersFile' : 'users',
        options.usersFile ? `no users found in ${options.usersFile}` : 'no users (set users or usersFile)',
      );
    }
    const realm = realmOf(options.realm);
    checkRealm(realm);
    const decoy = users.values().next().value as PasswordHash;
    // One instance (and cache) per middleware, whichever routers use it.
    const instance = new BasicAuth(
      users,
      decoy,
      realm,
      options.headerField ?? '',
      options.removeHeader === true,
      context.logger,
      context.name,
    );
    return (next: Handler): Handler =>
      (ctx) =>
        instance.handle(ctx, next);
  },
};
