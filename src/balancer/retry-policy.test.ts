import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { RequestContext, RetryBudget } from '../core/request-context.js';
import { CUT_BEFORE_ANSWER, NEVER_SENT, STALE_SOCKET, STREAMED_BODY, TIMED_OUT } from './retry-facts.js';
import { RetryPolicy, replayable } from './retry-policy.js';
import { UpstreamState } from './upstream-state.js';

interface Request {
  method?: string;
  headers?: Record<string, string>;
  answered?: boolean;
  budget?: RetryBudget;
  attempt?: number;
  failed?: string[];
  startedAt?: number;
}

/** The parts of a request context the policy reads. */
function context(request: Request = {}): RequestContext {
  const res = { headersSent: request.answered ?? false, destroyed: false, writableEnded: false };
  return {
    req: { method: request.method ?? 'GET', headers: request.headers ?? {} } as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    retry: request.budget ?? null,
    attempt: request.attempt,
    failedUpstreams: request.failed ?? null,
    retryStartedAt: request.startedAt,
  } as unknown as RequestContext;
}

const budget = (attempts: number, initialInterval = 100, options: Partial<RetryBudget> = {}): RetryBudget => ({
  attempts,
  initialInterval,
  statusRanges: null,
  timeout: 0,
  networkErrors: true,
  nonIdempotent: false,
  again() {},
  ...options,
});

const server = (draining = false): UpstreamState => {
  const state = new UpstreamState('http://a');
  state.draining = draining;
  return state;
};

const policy = new RetryPolicy(3);
const STALE_CUT = STALE_SOCKET | CUT_BEFORE_ANSWER;

describe('the retry policy', () => {
  it('fails a request whose answer already started, whatever the facts', () => {
    assert.equal(policy.decide(context({ answered: true }), server(), NEVER_SENT), 'fail');
    assert.equal(policy.decide(context({ answered: true, budget: budget(3) }), server(), STALE_CUT), 'fail');
  });

  it('fails a request whose body streamed from the client, even when it never reached the server', () => {
    assert.equal(policy.decide(context({ method: 'PUT' }), server(), NEVER_SENT | STREAMED_BODY), 'fail');
    assert.equal(policy.decide(context({ budget: budget(3) }), server(), NEVER_SENT | STREAMED_BODY), 'fail');
  });

  it('resends an idempotent request cut on a stale pooled socket to the same server, on a fresh socket', () => {
    assert.equal(policy.decide(context(), server(), STALE_CUT), 'resend-same');
    assert.equal(policy.decide(context({ method: 'DELETE' }), server(), STALE_CUT), 'resend-same');
  });

  it('resends a POST with an Idempotency-Key cut on a stale socket, but not a POST without one', () => {
    const keyed = context({ method: 'POST', headers: { 'idempotency-key': 'k1' } });
    assert.equal(policy.decide(keyed, server(), STALE_CUT), 'resend-same');
    assert.equal(policy.decide(context({ method: 'POST' }), server(), STALE_CUT), 'fail');
  });

  it('never resends to a draining server: the request goes to another one instead', () => {
    assert.equal(policy.decide(context(), server(true), STALE_CUT), 'next-server');
  });

  it('resends to the same server only when the socket was stale and cut, without using an attempt', () => {
    assert.equal(policy.decide(context(), server(), STALE_SOCKET | TIMED_OUT), 'fail');
    assert.equal(policy.decide(context({ budget: budget(2), attempt: 2 }), server(), STALE_CUT), 'resend-same');
  });

  it('sends a request that never reached its server to another one at once, whatever its method', () => {
    assert.equal(policy.decide(context({ method: 'POST' }), server(), NEVER_SENT), 'next-server');
  });

  it('sends an idempotent request cut before its answer to another server at once, without a retry middleware', () => {
    assert.equal(policy.decide(context(), server(), CUT_BEFORE_ANSWER), 'next-server');
  });

  it('fails a POST cut before its answer, and a timed-out request, without a retry middleware', () => {
    assert.equal(policy.decide(context({ method: 'POST' }), server(), CUT_BEFORE_ANSWER), 'fail');
    assert.equal(policy.decide(context(), server(), TIMED_OUT), 'fail');
  });

  it('fails without a retry middleware once every server of the balancer failed the request', () => {
    const ctx = context({ failed: ['http://b', 'http://c'] });
    assert.equal(policy.decide(ctx, server(), NEVER_SENT), 'fail');
    assert.equal(new RetryPolicy(1).decide(context(), server(), NEVER_SENT), 'fail');
    assert.equal(policy.decide(context({ failed: ['http://a'] }), server(), NEVER_SENT), 'next-server');
  });

  it('retries under a retry middleware until its attempts are used up', () => {
    assert.equal(policy.decide(context({ budget: budget(3), attempt: 2 }), server(), NEVER_SENT), 'next-server');
    assert.equal(policy.decide(context({ budget: budget(3), attempt: 3 }), server(), NEVER_SENT), 'fail');
  });

  it('retries under a retry middleware a replayable request that timed out or was cut, even when every server failed', () => {
    const ctx = context({ budget: budget(3), failed: ['http://a', 'http://b', 'http://c'] });
    assert.equal(policy.decide(ctx, server(), TIMED_OUT), 'next-server');
    assert.equal(policy.decide(ctx, server(), CUT_BEFORE_ANSWER), 'next-server');
  });

  it('does not retry under a retry middleware a POST that may have reached the server, but one that never did', () => {
    assert.equal(policy.decide(context({ method: 'POST', budget: budget(3) }), server(), CUT_BEFORE_ANSWER), 'fail');
    assert.equal(policy.decide(context({ method: 'POST', budget: budget(3) }), server(), TIMED_OUT), 'fail');
    assert.equal(policy.decide(context({ method: 'POST', budget: budget(3) }), server(), NEVER_SENT), 'next-server');
  });

  it("waits initialInterval before the second try, growing so the last wait is twice the first (Traefik's back-off)", () => {
    // 4 attempts: 3 waits, growth 2^(1/3): 10, 12.6, 15.9 → the last ≈ 2 × the first.
    assert.equal(policy.delay(context({ budget: budget(4, 10), attempt: 1 })), 10);
    assert.equal(policy.delay(context({ budget: budget(4, 10), attempt: 2 })), 13);
    assert.equal(policy.delay(context({ budget: budget(4, 10), attempt: 3 })), 16);
    assert.equal(policy.delay(context({ budget: budget(2, 10), attempt: 1 })), 10);
    assert.equal(policy.delay(context({ budget: budget(4, 0), attempt: 2 })), 0, 'no initialInterval: at once');
    assert.equal(policy.delay(context()), 0);
  });

  it('disableRetryOnNetworkError answers a failed exchange, but a stale socket is still resent', () => {
    const off = budget(3, 0, { networkErrors: false, statusRanges: [[500, 599]] });
    assert.equal(policy.decide(context({ budget: off }), server(), NEVER_SENT), 'fail');
    assert.equal(policy.decide(context({ budget: off }), server(), STALE_CUT), 'resend-same');
  });

  it('after its timeout the retry middleware tries nothing again, on failures or statuses', () => {
    const timed = budget(5, 0, { timeout: 1000, statusRanges: [[500, 599]] });
    const fresh = context({ budget: timed, startedAt: Date.now() });
    const old = context({ budget: timed, startedAt: Date.now() - 5000 });
    assert.equal(policy.decide(fresh, server(), NEVER_SENT), 'next-server');
    assert.equal(policy.decide(old, server(), NEVER_SENT), 'fail');
    assert.equal(policy.retriesStatus(fresh, 503), true);
    assert.equal(policy.retriesStatus(old, 503), false);
  });

  it('retries an answer whose status is in the ranges while attempts remain, POST/PATCH/LOCK only when asked', () => {
    const ranges = budget(3, 0, {
      statusRanges: [
        [500, 502],
        [429, 429],
      ],
    });
    assert.equal(policy.retriesStatus(context({ budget: ranges }), 502), true);
    assert.equal(policy.retriesStatus(context({ budget: ranges }), 429), true);
    assert.equal(policy.retriesStatus(context({ budget: ranges }), 503), false);
    assert.equal(policy.retriesStatus(context({ budget: ranges, attempt: 3 }), 500), false, 'attempts used up');
    assert.equal(policy.retriesStatus(context({ budget: budget(3) }), 500), false, 'no status option');
    assert.equal(policy.retriesStatus(context(), 500), false, 'no middleware');
    for (const method of ['POST', 'PATCH', 'LOCK']) {
      assert.equal(policy.retriesStatus(context({ method, budget: ranges }), 500), false, method);
      const forced = budget(3, 0, { statusRanges: [[500, 599]], nonIdempotent: true });
      assert.equal(policy.retriesStatus(context({ method, budget: forced }), 500), true, method);
    }
    assert.equal(policy.retriesStatus(context({ method: 'PUT', budget: ranges }), 500), true);
  });

  it('counts idempotent methods and an Idempotency-Key as replayable, and POST or PATCH alone as not', () => {
    const req = (method: string, headers = {}) => ({ method, headers }) as unknown as IncomingMessage;
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) assert.ok(replayable(req(method)));
    assert.ok(!replayable(req('POST')));
    assert.ok(!replayable(req('PATCH')));
    assert.ok(replayable(req('PATCH', { 'idempotency-key': 'x' })));
  });
});
