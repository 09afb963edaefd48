/**
 * The public, request-shaped entry point: turns a request as it arrived (method, request target,
 * headers, peer address) into the MatchInput that compiled rules read.
 */
import { compileRuleMatcher } from './compile.js';
import { normalizeHost } from './host.js';
import { routingPath } from './path.js';
import { sanitizePath } from './sanitize-path.js';
import type { MatchInput } from './types.js';

/** A request as the public API takes it. */
export interface RuleRequest {
  method: string;
  /** The request target as sent: '/path?q', or absolute form 'http://host:port/path?q'. */
  url: string;
  /** Header names in any case. */
  headers: Record<string, string | string[] | undefined>;
  remoteAddress?: string;
}

/**
 * Builds the matcher input. In absolute form the host comes from the URL's authority (RFC 9112
 * §3.2.2: it takes precedence over the Host header); otherwise from the Host header.
 */
export function toMatchInput(request: RuleRequest): MatchInput {
  const headers = lowerCaseNames(request.headers);
  let target = request.url;
  let authority: string | undefined;
  const scheme = target.indexOf('://');
  if (scheme > 0 && !target.slice(0, scheme).includes('/')) {
    const authorityStart = scheme + 3;
    let authorityEnd = authorityStart;
    while (authorityEnd < target.length && !'/?#'.includes(target[authorityEnd]!)) authorityEnd++;
    authority = target.slice(authorityStart, authorityEnd);
    authority = authority.slice(authority.lastIndexOf('@') + 1);
    target = target.slice(authorityEnd);
    if (!target.startsWith('/')) target = `/${target}`;
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  const rawPath = question === -1 ? target : target.slice(0, question);
  const hostHeader = headers.host;
  return {
    method: request.method,
    host: normalizeHost(authority ?? (Array.isArray(hostHeader) ? hostHeader[0] : hostHeader)),
    // Cleaned as an entry point does by default (`http.sanitizePath`), so answers agree with routing.
    path: routingPath(sanitizePath(rawPath)),
    query: question === -1 ? '' : target.slice(question + 1),
    headers,
    remoteAddress: request.remoteAddress ?? '',
  };
}

/** Compiles a rule into a predicate over requests; throws RuleSyntaxError. */
export function compileRule(rule: string): (request: RuleRequest) => boolean {
  const { match } = compileRuleMatcher(rule);
  return (request) => match(toMatchInput(request));
}

/** The headers with lower-case names; the same object when they already are (the Node case). */
function lowerCaseNames(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const names = Object.keys(headers);
  if (names.every((name) => name === name.toLowerCase())) return headers;
  const lowered: Record<string, string | string[] | undefined> = {};
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const existing = lowered[key];
    // Two spellings of one name are two header lines: keep every value.
    if (existing === undefined) lowered[key] = value;
    else lowered[key] = ([] as string[]).concat(existing, value);
  }
  return lowered;
}
