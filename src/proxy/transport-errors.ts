/** What a transport error says about whether the request reached the server. */

/**
 * Errors that prove the request never reached the server (no connection was made): safe to
 * send it to another server whatever its method.
 */
export const NEVER_SENT: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'SY_DIAL_TIMEOUT',
  // A dial to a leaving server that the drain gave up on (UpstreamPool.abortDials).
  'SY_DIAL_ABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether the error proves the request never reached the server. */
export function neverSent(error: NodeJS.ErrnoException): boolean {
  return NEVER_SENT.has(error.code ?? '');
}

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The connection was cut before any answer: the server may or may not have seen the request. */
const CUT_BEFORE_ANSWER: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether the connection was cut before any answer (reset, broken pipe, aborted). */
export function cutBeforeAnswer(error: NodeJS.ErrnoException): boolean {
  return CUT_BEFORE_ANSWER.has(error.code ?? '');
}

/**
 * Whether a request that failed before any answer may go to another server: it never reached
 * the server, or its method is idempotent and the connection was cut before an answer (nginx's
 * default `proxy_next_upstream error` does the same).
 */
export function mayResendElsewhere(method: string | undefined, error: NodeJS.ErrnoException): boolean {
  return neverSent(error) || (IDEMPOTENT.has(method ?? 'GET') && cutBeforeAnswer(error));
}
