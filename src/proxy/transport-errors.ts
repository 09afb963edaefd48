/**
 * What a transport error says about whether the request reached the server, as the facts the
 * retry policy decides on (balancer/retry-facts.ts, balancer/retry-policy.ts).
 */
import { CUT_BEFORE_ANSWER, NEVER_SENT, TIMED_OUT } from '../balancer/retry-facts.js';

/**
 * Errors that prove the request never reached the server (no connection was made): safe to
 * send it to another server whatever its method.
 */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'SY_DIAL_TIMEOUT',
  // A dial to a leaving server that the drain gave up on (UpstreamPool.abortDials).
  'SY_DIAL_ABORTED',
  // An HTTP/2 server refused the stream (REFUSED_STREAM, or GOAWAY below its id): not processed.
  'SY_STREAM_REFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The connection was cut before any answer: the server may or may not have seen the request. */
const CUT_BEFORE_ANSWER_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'SY_STREAM_RESET',
]);

/** The server was connected but too slow: answered 504 rather than 502. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['SY_RESPONSE_HEADER_TIMEOUT', 'SY_UPSTREAM_READ_TIMEOUT']);

/** The transport facts an error proves: NEVER_SENT, CUT_BEFORE_ANSWER, TIMED_OUT or none. */
export function transportFacts(error: NodeJS.ErrnoException): number {
  const code = error.code ?? '';
  if (NEVER_SENT_CODES.has(code)) return NEVER_SENT;
  if (CUT_BEFORE_ANSWER_CODES.has(code)) return CUT_BEFORE_ANSWER;
  return TIMEOUT_CODES.has(code) ? TIMED_OUT : 0;
}
