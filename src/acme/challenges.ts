/**
 * The answers to challenges in progress, for the parts of the proxy that serve them:
 *
 * - HTTP-01: `GET /.well-known/acme-challenge/<token>` on the `httpChallenge.entryPoint`, for the
 *   domain being validated, answers the key authorization (`httpResponse`);
 * - TLS-ALPN-01: a TLS handshake offering ALPN `acme-tls/1` with the domain as SNI gets the
 *   self-signed certificate that carries the key authorization's digest (`tlsContext`).
 *
 * Both are looked up by domain, so a token leaks nothing about another name (as Traefik's).
 */
import { createSecureContext, type SecureContext } from 'node:tls';

/** The challenges in progress as plain data: what other processes need to answer them too. */
export interface ChallengeSnapshot {
  /** `[domain, token, keyAuthorization]`. */
  http: [string, string, string][];
  /** `[domain, certPem, keyPem]`. */
  tls: [string, string, string][];
}

/**
 * Told of every change; the promise it returns is awaited before the CA is asked to validate, so
 * that every process answering challenges (workers, other instances of a fleet) has the answer.
 */
export type ChallengeListener = (snapshot: ChallengeSnapshot) => Promise<void> | void;

/** The HTTP-01 path prefix (RFC 8555 §8.3). */
export const HTTP_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/** Lower case, without a port or a trailing dot: how a Host header is compared to a domain. */
function hostOnly(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) return name;
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  while (name.endsWith('.')) name = name.slice(0, -1);
  return name;
}

export class ChallengeAnswers {
  /** token → domain → key authorization. */
  private readonly http = new Map<string, Map<string, string>>();
  /** domain → the challenge certificate's context. */
  private readonly tls = new Map<string, SecureContext>();
  /** domain → the challenge certificate's PEM pair (for the snapshot). */
  private readonly tlsPem = new Map<string, [string, string]>();
  private readonly listeners = new Set<ChallengeListener>();

  /** Calls `listener` after each change; returns a function that removes it. */
  onChange(listener: ChallengeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every listener has the current answers (a listener's failure is its own to report). */
  async published(): Promise<void> {
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot();
    await Promise.all([...this.listeners].map((l) => Promise.resolve(l(snapshot)).catch(() => undefined)));
  }

  private changed(): void {
    if (this.listeners.size > 0) void this.published();
  }

  /** Every answer in progress. */
  snapshot(): ChallengeSnapshot {
    const http: [string, string, string][] = [];
    for (const [token, byDomain] of this.http) for (const [domain, auth] of byDomain) http.push([domain, token, auth]);
    const tls = [...this.tlsPem].map(([domain, [cert, key]]): [string, string, string] => [domain, cert, key]);
    return { http, tls };
  }

  /** Replaces every answer with `snapshot`'s (a process answering for another one). */
  replace(snapshot: ChallengeSnapshot): void {
    this.http.clear();
    for (const [domain, token, auth] of snapshot.http) this.setHttp(domain, token, auth);
    for (const domain of [...this.tls.keys()]) if (!snapshot.tls.some(([d]) => d === domain)) this.dropTls(domain);
    for (const [domain, cert, key] of snapshot.tls) {
      const known = this.tlsPem.get(domain);
      if (known?.[0] !== cert) this.setTls(domain, cert, key);
    }
  }

  /** Serves `keyAuthorization` for `token` on `domain` until `removeHttp`. */
  addHttp(domain: string, token: string, keyAuthorization: string): void {
    this.setHttp(domain, token, keyAuthorization);
    this.changed();
  }

  private setHttp(domain: string, token: string, keyAuthorization: string): void {
    let byDomain = this.http.get(token);
    if (!byDomain) {
      byDomain = new Map();
      this.http.set(token, byDomain);
    }
    byDomain.set(domain, keyAuthorization);
  }

  removeHttp(domain: string, token: string): void {
    const byDomain = this.http.get(token);
    byDomain?.delete(domain);
    if (byDomain?.size === 0) this.http.delete(token);
    this.changed();
  }

  /**
   * The key authorization to answer for a request to `host` (the Host header, port allowed) and
   * `path` (the request path, query allowed), or undefined when it is not a challenge in progress.
   */
  httpResponse(host: string | undefined, path: string): string | undefined {
    if (host === undefined || !path.startsWith(HTTP_CHALLENGE_PREFIX)) return undefined;
    let token = path.slice(HTTP_CHALLENGE_PREFIX.length);
    const query = token.indexOf('?');
    if (query !== -1) token = token.slice(0, query);
    if (token.endsWith('/')) token = token.slice(0, -1);
    if (token === '' || token.includes('/')) return undefined;
    return this.http.get(token)?.get(hostOnly(host));
  }

  /** Serves the challenge certificate for `domain` until `removeTls`. */
  addTls(domain: string, certPem: string, keyPem: string): void {
    this.setTls(domain, certPem, keyPem);
    this.changed();
  }

  removeTls(domain: string): void {
    this.dropTls(domain);
    this.changed();
  }

  private setTls(domain: string, certPem: string, keyPem: string): void {
    this.tls.set(domain, createSecureContext({ cert: certPem, key: keyPem }));
    this.tlsPem.set(domain, [certPem, keyPem]);
  }

  private dropTls(domain: string): void {
    this.tls.delete(domain);
    this.tlsPem.delete(domain);
  }

  /** The context to finish an `acme-tls/1` handshake for `serverName`, or undefined. */
  tlsContext(serverName: string | undefined): SecureContext | undefined {
    if (serverName === undefined) return undefined;
    return this.tls.get(hostOnly(serverName));
  }
}
