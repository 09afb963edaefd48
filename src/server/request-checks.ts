/**
 * Checks of a parsed request before it is routed, for what Node's parser lets through but a
 * proxy must not forward: another HTTP major version on an HTTP/1 listener, more header lines
 * than the limit (Node would drop the extra ones silently — a `Content-Length` or
 * `Authorization` among them would vanish), and a duplicated `Host` (which one routes and which
 * one the server trusts would differ).
 */
import type { IncomingMessage } from 'node:http';
import { EdgeHttp2Request } from './listener/http2-server.js';

/** The status that refuses the request, or 0 when it may be routed. */
export function requestProblem(req: IncomingMessage, maxHeaderCount: number, maxHeaderBytes = Infinity): number {
  // HTTP/0.9 (a request line with no version) is not a request a proxy can forward; HTTP/2.0 and
  // later are other protocols, never spoken in an HTTP/1 request line.
  if (req.httpVersionMajor !== 1) {
    if (req instanceof EdgeHttp2Request) return http2Problem(req, maxHeaderCount, maxHeaderBytes);
    return req.httpVersionMajor === 0 ? 400 : 505;
  }
  const raw = req.rawHeaders;
  // The server keeps at most maxHeaderCount + 1 lines (see EntryPoint): one more is enough to know.
  if (raw.length > maxHeaderCount * 2) return 431;
  const coding = req.headers['transfer-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'chunked') return codingProblem(coding);
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return 400;
  }
  return 0;
}

/**
 * The same checks for an HTTP/2 request (the HTTP/2 server already refused what its framing
 * forbids: connection-specific headers, malformed pseudo-headers). CONNECT is not served over
 * HTTP/2 (no tunnels) but as a WebSocket's extended CONNECT, and a `host` naming another authority than
 * `:authority` is malformed (RFC 9113 §8.3.1).
 */
function http2Problem(req: EdgeHttp2Request, maxHeaderCount: number, maxHeaderBytes: number): number {
  if (req.fieldCount > maxHeaderCount || req.headerListSize > maxHeaderBytes) return 431;
  if (req.isConnect) return 405;
  return req.authorityMismatch ? 400 : 0;
}

/** Whether a request came over HTTP/2 (its compatibility request object). */
export function isHttp2Request(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2 && req instanceof EdgeHttp2Request;
}

/**
 * A request body is forwarded re-framed as chunked, so chunked is the only transfer coding
 * accepted. Chunked not last: the body's length cannot be known (RFC 9112 §6.3: 400). Another
 * coding before it (`gzip, chunked`): not implemented (501, as nginx answers), rather than
 * forwarded without it.
 */
function codingProblem(coding: string): number {
  const codings = coding.toLowerCase().split(',');
  return (codings[codings.length - 1] as string).trim() === 'chunked' ? 501 : 400;
}

/** Whether an `Upgrade` header asks for h2c (HTTP/2 over cleartext), alone or among others. */
export function asksForH2c(upgrade: string | undefined): boolean {
  if (upgrade === undefined) return false;
  for (const token of upgrade.split(',')) {
    if (token.trim().toLowerCase() === 'h2c') return true;
  }
  return false;
}
