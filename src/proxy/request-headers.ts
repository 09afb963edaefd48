/**
 * Builds the headers sent upstream: the client's headers minus hop-by-hop ones, plus the
 * X-Forwarded-* family as Traefik sets them. The entry point has already removed the client's
 * X-Forwarded-* headers unless the peer is trusted (`forwardedHeaders.trustedIPs`), so values
 * still present here are trusted and are kept (X-Forwarded-For is appended to).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';
import type { RequestContext } from '../core/request-context.js';
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.js';

const SERVER_NAME = hostname();

/** Characters that would end a header line early (request smuggling). */
const LINE_BREAK = /[\r\n\0]/;

/** Node's own rule for a request target: visible latin1 characters only. */
const INVALID_PATH = /[^\u0021-\u00ff]/;

/** Methods whose request Node's client never gives an implicit `Content-Length: 0`. */
const NO_IMPLICIT_LENGTH = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The request head sent upstream, as one latin1 string — the only place request headers are
 * built, for plain requests and upgrades alike: the client's headers minus hop-by-hop ones and
 * those `Connection` names, the X-Forwarded-* family, and the body framing: `bodyLength` ≥ 0
 * sends that Content-Length, -1 keeps the client's (streamed as is), -2 sends the body chunked.
 * With `upgrade`, asks the server to switch to that protocol. Throws on a header value or path
 * that would break the framing.
 */
export function buildRequestHead(
  method: string,
  path: string,
  incoming: IncomingHttpHeaders,
  remoteAddress: string,
  scheme: 'http' | 'https',
  localPort: number,
  upstreamHost: string | null,
  bodyLength: number,
  upgrade: string | null = null,
): string {
  if (INVALID_PATH.test(path)) throw new TypeError('request path contains unescaped characters');
  const connection = incoming.connection;
  const named = connection === undefined ? null : connectionTokens(connection);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasLength = false;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined) continue;
    switch (name) {
      case 'host':
        if (upstreamHost !== null) continue;
        break;
      case 'x-forwarded-for':
      case 'x-forwarded-server':
        continue;
      case 'content-length':
        if (bodyLength !== -1) continue;
        hasLength = true;
        break;
      case 'te':
        // "TE: trailers" is the one TE value that may be forwarded (gRPC relies on it).
        if (value === 'trailers') head += 'te: trailers\r\n';
        continue;
      default:
        if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    }
    if (typeof value === 'string') {
      if (LINE_BREAK.test(value)) throw new TypeError(`invalid value for header "${name}"`);
      head += `${name}: ${value}\r\n`;
    } else {
      for (const item of value) {
        if (LINE_BREAK.test(item)) throw new TypeError(`invalid value for header "${name}"`);
        head += `${name}: ${item}\r\n`;
      }
    }
  }
  if (upstreamHost !== null) head += `host: ${upstreamHost}\r\n`;
  const prior = incoming['x-forwarded-for'];
  head += `x-forwarded-for: ${prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remoteAddress}` : remoteAddress}\r\n`;
  const host = incoming.host ?? '';
  if (incoming['x-forwarded-proto'] === undefined) head += `x-forwarded-proto: ${scheme}\r\n`;
  if (incoming['x-forwarded-host'] === undefined) head += `x-forwarded-host: ${host}\r\n`;
  if (incoming['x-forwarded-port'] === undefined) head += `x-forwarded-port: ${portOf(host, scheme, localPort)}\r\n`;
  head += SERVER_LINE;
  if (incoming['x-real-ip'] === undefined) head += `x-real-ip: ${remoteAddress}\r\n`;
  if (bodyLength >= 0) {
    if (bodyLength > 0 || !NO_IMPLICIT_LENGTH.has(method) || incoming['content-length'] !== undefined)
      head += `content-length: ${bodyLength}\r\n`;
  } else if (bodyLength === -2) head += 'transfer-encoding: chunked\r\n';
  else if (!hasLength && !NO_IMPLICIT_LENGTH.has(method)) head += 'content-length: 0\r\n';
  if (upgrade !== null) {
    if (LINE_BREAK.test(upgrade)) throw new TypeError('invalid value for header "upgrade"');
    head += `connection: Upgrade\r\nupgrade: ${upgrade}\r\n`;
  }
  return `${head}\r\n`;
}

const SERVER_LINE = `x-forwarded-server: ${SERVER_NAME}\r\n`;

function portOf(host: string, scheme: 'http' | 'https', localPort: number): string {
  // The port is what follows the last ':' unless that colon is inside an IPv6 literal.
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && colon > host.lastIndexOf(']')) return host.slice(colon + 1);
  if (host !== '') return scheme === 'https' ? '443' : '80';
  return String(localPort);
}

/** The path and query as they stand after earlier middlewares (Traefik updates RequestURI too). */
export function requestUri(ctx: RequestContext): string {
  return ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`;
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 peers on dual-stack sockets. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The X-Forwarded-* family, removed from requests of untrusted peers before anything else runs. */
export const FORWARDED_HEADERS: readonly string[] = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-prefix',
  'x-real-ip',
  'forwarded',
];

/**
 * The request headers sent to an HTTP/2 server, as the object Node's `http2` client takes: the
 * same rules as `buildRequestHead` (hop-by-hop and `Connection`-named headers dropped, `TE` only
 * as `trailers`, the X-Forwarded-* family) with the request line as pseudo-headers, `host`
 * becoming `:authority`, and no body framing (HTTP/2 frames the body itself; a known length is
 * kept as `content-length`).
 */
export function buildHttp2RequestHeaders(
  method: string,
  path: string,
  incoming: IncomingHttpHeaders,
  remoteAddress: string,
  scheme: 'http' | 'https',
  upstreamScheme: 'http' | 'https',
  localPort: number,
  upstreamHost: string | null,
  bodyLength: number,
): Record<string, string | string[]> {
  if (INVALID_PATH.test(path)) throw new TypeError('request path contains unescaped characters');
  const connection = incoming.connection;
  const named = connection === undefined ? null : connectionTokens(connection);
  const host = incoming.host ?? '';
  const out: Record<string, string | string[]> = {
    ':method': method,
    ':path': path,
    ':scheme': upstreamScheme,
    ':authority': upstreamHost ?? host,
  };
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */) continue;
    switch (name) {
      case 'host':
      case 'x-forwarded-for':
      case 'x-forwarded-server':
      case 'http2-settings':
        continue;
      case 'content-length':
        if (bodyLength !== -1) continue;
        break;
      case 'te':
        if (value === 'trailers') out.te = 'trailers';
        continue;
      default:
        if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    }
    out[name] = value;
  }
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = prior
    ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remoteAddress}`
    : remoteAddress;
  if (incoming['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = scheme;
  if (incoming['x-forwarded-host'] === undefined) out['x-forwarded-host'] = host;
  if (incoming['x-forwarded-port'] === undefined) out['x-forwarded-port'] = portOf(host, scheme, localPort);
  out['x-forwarded-server'] = SERVER_NAME;
  if (incoming['x-real-ip'] === undefined) out['x-real-ip'] = remoteAddress;
  if (bodyLength >= 0) out['content-length'] = String(bodyLength);
  return out;
}
