/**
 * What the forwarding engine knows about a failed exchange, as bits of one number so that
 * reporting them allocates nothing. The retry policy (retry-policy.ts) decides on them; the
 * proxy sets them (transport-errors.ts classifies the error, forward.ts adds the connection's).
 */

/** The request never reached the server: no connection was made (refused, dial timeout…). */
export const NEVER_SENT = 1;
/** The connection was cut before any answer: the server may or may not have seen the request. */
export const CUT_BEFORE_ANSWER = 2;
/** The server was connected but too slow to answer: it may be working on the request. */
export const TIMED_OUT = 4;
/**
 * The request went out on a reused pooled keep-alive socket (its first try there, the pool
 * still wanted, nothing of an answer read): most likely the server had just closed it.
 */
export const STALE_SOCKET = 8;
/** The request body streams from the client: what was sent is gone and cannot be sent again. */
export const STREAMED_BODY = 16;
