/**
 * Retry as one policy: when an exchange fails before any byte of the answer reached the client,
 * the load balancer asks `decide` whether to send the request again on a fresh socket to the
 * same server, to another server, or to answer the failure. The decision combines the transport
 * facts (retry-facts.ts), whether sending the request twice is harmless, the server's state and,
 * when a retry middleware is on the route, its budget (`ctx.retry`: attempts and back-off).
 *
 * The decision table, first matching row wins:
 *
 * | facts and request                                              | decision                     |
 * | -------------------------------------------------------------- | ---------------------------- |
 * | the answer started, or the client is gone                      | fail                         |
 * | the body streamed from the client                              | fail                         |
 * | stale socket, cut before answer, replayable, server not leaving | resend-same (no attempt used) |
 * | retry budget: disableRetryOnNetworkError                        | fail                         |
 * | retry budget: attempts used up, or its `timeout` passed        | fail                         |
 * | retry budget: never sent, or replayable                        | next-server after back-off   |
 * | retry budget: otherwise                                        | fail                         |
 * | never sent, or cut before answer and replayable, and a server not tried yet | next-server at once |
 * | otherwise                                                      | fail                         |
 *
 * Without the retry middleware the last two rows are nginx's default `proxy_next_upstream
 * error`: a refused connection or an idempotent request cut before its answer moves at once.
 *
 * An answer (not a failure) is tried again only under a retry budget with `status` ranges
 * (`retriesStatus`): its code is in them, attempts and `timeout` remain, and the method is
 * idempotent in Traefik's sense (not POST, PATCH or LOCK) unless `retryNonIdempotentMethod`.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext, RetryBudget } from '../core/request-context.js';
import { CUT_BEFORE_ANSWER, NEVER_SENT, STALE_SOCKET, STREAMED_BODY } from './retry-facts.js';
import type { UpstreamState } from './upstream-state.js';

/** What to do with a request whose exchange failed before any answer reached the client. */
export type RetryDecision = 'resend-same' | 'next-server' | 'fail';

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether sending the request twice is harmless: an idempotent method or an Idempotency-Key (as Go's transport decides). */
export function replayable(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? 'GET') || req.headers['idempotency-key'] !== undefined;
}

/** Methods Traefik's retry middleware does not retry on a status unless `retryNonIdempotentMethod`. */
const NON_IDEMPOTENT_FOR_STATUS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'LOCK']);

/** Whether the retry middleware's `timeout` has passed for this request. */
function timedOut(ctx: RequestContext, budget: RetryBudget, now: number): boolean {
  return budget.timeout > 0 && now - (ctx.retryStartedAt ?? now) >= budget.timeout;
}

/** The retry policy of one load balancer (it knows how many servers there are to try). */
export class RetryPolicy {
  /** `servers`: how many servers the balancer has. */
  constructor(private readonly servers: number) {}

  /** Decides what follows a failure of the exchange with the server of `state` (table above). */
  decide(ctx: RequestContext, state: UpstreamState, facts: number): RetryDecision {
    const res = ctx.res;
    if (res.headersSent || res.destroyed || res.writableEnded) return 'fail';
    if ((facts & STREAMED_BODY) !== 0) return 'fail';
    const cut = (facts & CUT_BEFORE_ANSWER) !== 0;
    // A draining (or paused) server would take the second try too: it goes elsewhere instead.
    if ((facts & STALE_SOCKET) !== 0 && cut && !state.draining && replayable(ctx.req)) return 'resend-same';
    const budget = ctx.retry;
    const neverSent = (facts & NEVER_SENT) !== 0;
    if (budget != null) {
      if (!budget.networkErrors) return 'fail';
      if ((ctx.attempt ?? 1) >= budget.attempts || timedOut(ctx, budget, Date.now())) return 'fail';
      return neverSent || replayable(ctx.req) ? 'next-server' : 'fail';
    }
    if (!neverSent && !(cut && replayable(ctx.req))) return 'fail';
    return this.untried(ctx, state.url) ? 'next-server' : 'fail';
  }

  /** Whether an answer with `status` is dropped and the request tried again (the budget's `status`). */
  retriesStatus(ctx: RequestContext, status: number): boolean {
    const budget = ctx.retry;
    if (budget == null || budget.statusRanges === null) return false;
    const res = ctx.res;
    if (res.headersSent || res.destroyed || res.writableEnded) return false;
    if ((ctx.attempt ?? 1) >= budget.attempts || timedOut(ctx, budget, Date.now())) return false;
    if (!budget.nonIdempotent && NON_IDEMPOTENT_FOR_STATUS.has(ctx.req.method ?? 'GET')) return false;
    for (const [low, high] of budget.statusRanges) if (status >= low && status <= high) return true;
    return false;
  }

  /**
   * The back-off before the next try under the retry budget, as Traefik's: `initialInterval`
   * first, then growing by 2^(1/(attempts−1)) each time so the last wait is twice the first
   * (without Traefik's random jitter, so tests can know it).
   */
  delay(ctx: RequestContext): number {
    const budget = ctx.retry;
    if (budget == null || budget.initialInterval <= 0 || budget.attempts < 2) return 0;
    const growth = 2 ** (1 / (budget.attempts - 1));
    return Math.round(budget.initialInterval * growth ** ((ctx.attempt ?? 1) - 1));
  }

  /** Whether a server other than `url` and those that already failed this request remains. */
  private untried(ctx: RequestContext, url: string): boolean {
    const failed = ctx.failedUpstreams;
    if (failed == null) return this.servers > 1;
    return failed.length + (failed.includes(url) ? 0 : 1) < this.servers;
  }
}
