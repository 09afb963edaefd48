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

  /** Serves `keyAuthorization` for `token` on `domain` until `removeHttp`. */
  addHttp(domain: string, token: string, keyAuthorization: string): void {
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
    this.tls.set(domain, createSecureContext({ cert: certPem, key: keyPem }));
  }

  removeTls(domain: string): void {
    this.tls.delete(domain);
  }

  /** The context to finish an `acme-tls/1` handshake for `serverName`, or undefined. */
  tlsContext(serverName: string | undefined): SecureContext | undefined {
    if (serverName === undefined) return undefined;
    return this.tls.get(hostOnly(serverName));
  }
}
