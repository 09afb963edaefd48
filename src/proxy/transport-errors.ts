/** What a transport error says about whether the request reached the server. */

/**
 * Errors that prove the request never reached the server (no connection was made): safe to
 * send it to another server whatever its method.
 */
export const NEVER_SENT: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'SY_DIAL_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether the error proves the request never reached the server. */
export function neverSent(error: NodeJS.ErrnoException): boolean {
  return NEVER_SENT.has(error.code ?? '');
}
