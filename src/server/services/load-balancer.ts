/**
 * The `loadBalancer` service: picks a server with the configured strategy (or the one the sticky
 * cookie names, while it is available) and forwards the request. When the server fails before
 * answering, the balancer asks its retry policy (balancer/retry-policy.ts) and acts: the
 * forwarding engine sends again on a fresh socket, or passive health hears of the failure, the
 * server is marked failed and the request goes to another one (at once, or through the retry
 * middleware after its back-off), or the failure is answered.
 */
import type { PassiveHealthPolicy } from '../../balancer/passive-health.js';
import { type RetryDecision, RetryPolicy } from '../../balancer/retry-policy.js';
import type { StickyCookie } from '../../balancer/sticky.js';
import { eligible, type Strategy } from '../../balancer/strategy.js';
import { caughtAtBoundary } from '../../core/last-resort.js';
import type { RequestContext, RetryBudget } from '../../core/request-context.js';
import type { ForwardSettings } from '../../proxy/forward.js';
import { buildProxy, type ServerProxy } from '../../proxy/proxy-builder.js';
import { plainAddress } from '../../proxy/request-headers.js';
import { sendError } from '../../proxy/responses.js';
import type { UpstreamTarget } from '../../proxy/upstream-target.js';
import { NO_AVAILABLE_SERVER, type ServiceHandle } from './handle.js';

/** What a load balancer is built from (all resolved and validated by the builder). */
export interface LoadBalancerParts {
  name: string;
  targets: UpstreamTarget[];
  strategy: Strategy<UpstreamTarget>;
  /** Whether the strategy hashes the client address (hrw); others skip computing it. */
  hashesClient: boolean;
  sticky: StickyCookie<UpstreamTarget> | null;
  passive: PassiveHealthPolicy | null;
  passHostHeader: boolean;
  transport: ForwardSettings['transport'];
}

/** A load balancer over upstream servers. */
export class LoadBalancer implements ServiceHandle {
  readonly name: string;
  readonly targets: readonly UpstreamTarget[];
  readonly handler: (ctx: RequestContext) => void;
  private readonly settings: ForwardSettings;
  /** How requests reach a server of this service (proxy-builder.ts): built once. */
  private readonly proxy: ServerProxy;
  private readonly policy: RetryPolicy;

  constructor(private readonly parts: LoadBalancerParts) {
    this.name = parts.name;
    this.targets = parts.targets;
    this.policy = new RetryPolicy(parts.targets.length);
    this.settings = {
      passHostHeader: parts.passHostHeader,
      transport: parts.transport,
      passive: parts.passive,
      onTransportError: (ctx, target, _error, facts) => this.transportError(ctx, target, facts),
      onRetryableStatus: (ctx, target, status) => this.retryableStatus(ctx, target, status),
    };
    this.proxy = buildProxy(this.settings);
    this.handler = (ctx) => this.handle(ctx);
  }

  /** Whether any server can take a request now. */
  available(now: number): boolean {
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as UpstreamTarget;
      if (target.weight > 0 && target.available(now)) return true;
    }
    return false;
  }

  private handle(ctx: RequestContext): void {
    const now = Date.now();
    const parts = this.parts;
    const avoid = ctx.failedUpstreams ?? null;
    ctx.service = this.name;
    let target: UpstreamTarget | undefined;
    const sticky = parts.sticky;
    if (sticky !== null) {
      const pinned = sticky.pinned(ctx.req.headers.cookie);
      if (pinned !== undefined && eligible(pinned, now, avoid)) target = pinned;
    }
    if (target === undefined) {
      const clientIp = parts.hashesClient ? plainAddress(ctx.req.socket.remoteAddress) : '';
      target = parts.strategy.next(now, clientIp, avoid);
      // A missing, stale or unhealthy pin moves to the server just picked.
      if (target !== undefined && sticky !== null) sticky.pin(ctx, target);
    }
    if (target === undefined) {
      sendError(ctx.res, 503, NO_AVAILABLE_SERVER);
      return;
    }
    this.proxy(ctx, target);
  }

  private transportError(ctx: RequestContext, target: UpstreamTarget, facts: number): RetryDecision {
    const decision = this.policy.decide(ctx, target.state, facts);
    if (decision !== 'fail') ctx.retries = (ctx.retries ?? 0) + 1;
    // A stale pooled socket is no failure of the server: forward.ts sends again on a fresh one.
    if (decision === 'resend-same') return decision;
    this.parts.passive?.failed(target.state, Date.now());
    if (decision === 'fail') return decision;
    this.avoidNextTime(ctx, target);
    const budget = ctx.retry;
    if (budget == null) {
      // No retry middleware: another server of this service at once (the policy's last rows).
      this.handle(ctx);
      return decision;
    }
    this.tryAgainLater(ctx, budget);
    return decision;
  }

  /** An answer whose status the retry middleware retries (`status`): true when taken over. */
  private retryableStatus(ctx: RequestContext, target: UpstreamTarget, status: number): boolean {
    const budget = ctx.retry;
    if (budget == null || !this.policy.retriesStatus(ctx, status)) return false;
    ctx.retries = (ctx.retries ?? 0) + 1;
    this.avoidNextTime(ctx, target);
    this.tryAgainLater(ctx, budget);
    return true;
  }

  /** The next pick avoids the servers that failed this request while others remain. */
  private avoidNextTime(ctx: RequestContext, target: UpstreamTarget): void {
    const failed = ctx.failedUpstreams;
    if (failed == null) ctx.failedUpstreams = [target.url];
    else if (!failed.includes(target.url)) failed.push(target.url);
  }

  /** Under the retry middleware: its whole chain again, after the back-off. */
  private tryAgainLater(ctx: RequestContext, budget: RetryBudget): void {
    const delay = this.policy.delay(ctx);
    ctx.attempt = (ctx.attempt ?? 1) + 1;
    if (delay > 0) setTimeout(again, delay, budget, ctx);
    else setImmediate(again, budget, ctx);
  }
}

/**
 * Runs the retry middleware's chain again (a module function: scheduling it needs no closure).
 * It runs in a timer, outside the entry point's guard: a defect costs this request a 500.
 */
function again(budget: RetryBudget, ctx: RequestContext): void {
  try {
    budget.again(ctx);
  } catch (thrown) {
    caughtAtBoundary(thrown, 'retry');
    try {
      sendError(ctx.res, 500);
    } catch {
      ctx.res.destroy();
    }
  }
}
