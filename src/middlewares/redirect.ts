/**
 * What redirectScheme and redirectRegex share: the URL the client asked for, as Traefik
 * rebuilds it (`scheme://host[:port]/path?query`, default ports dropped), and the redirect
 * response itself.
 */
import { requestUri } from '../proxy/request-headers.js';
import { sendError } from '../proxy/responses.js';
import type { RequestContext } from './types.js';

const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

/** Splits a Host header into host (brackets kept for IPv6) and port ('' when absent). */
export function splitHostPort(hostHeader: string): [host: string, port: string] {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    if (end !== -1 && hostHeader[end + 1] === ':') return [hostHeader.slice(0, end + 1), hostHeader.slice(end + 2)];
    return [hostHeader, ''];
  }
  const colon = hostHeader.lastIndexOf(':');
  if (colon === -1) return [hostHeader, ''];
  return [hostHeader.slice(0, colon), hostHeader.slice(colon + 1)];
}

/** True when `port` is the default for `scheme`, so it is left out of URLs. */
export function isDefaultPort(scheme: string, port: string): boolean {
  return (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
}

/** The full URL the client used, as redirect regexps see it. */
export function clientUrl(ctx: RequestContext): string {
  const [host, port] = splitHostPort(ctx.req.headers.host ?? ctx.host);
  const portPart = port === '' || isDefaultPort(ctx.scheme, port) ? '' : `:${port}`;
  return `${ctx.scheme}://${host}${portPart}${requestUri(ctx)}`;
}

/**
 * Answers with a redirect. Like Traefik, only GET keeps 302/301; other methods get 307/308 so
 * clients repeat the method and body instead of turning a POST into a GET.
 */
export function sendRedirect(ctx: RequestContext, location: string, permanent: boolean): void {
  const get = ctx.req.method === 'GET';
  const status = permanent ? (get ? 301 : 308) : get ? 302 : 307;
  const body = STATUS_TEXT[status]!;
  try {
    ctx.res.writeHead(status, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
  } catch {
    // A Location node refuses (control or non-Latin-1 characters from a replacement) is our fault.
    sendError(ctx.res, 500);
    return;
  }
  ctx.res.end(body);
}
