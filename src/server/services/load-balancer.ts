/**
 * The `loadBalancer` service: picks a server with the configured strategy (or the one the sticky
 * cookie names, while it is available) and forwards the request. When the server fails before
 * answering, passive health hears of it and the retry middleware, if any, gets the request back
 * with the failed server marked so the next pick goes elsewhere.
 */
import type { PassiveHealthPolicy } from '../../balancer/passive-health.js';
import type { StickyCookie } from '../../balancer/sticky.js';
import { eligible, type Strategy } from '../../balancer/strategy.js';
import type { RequestContext } from '../../core/request-context.js';
import { hasRequestBody } from '../../proxy/buffered-body.js';
import { type ForwardSettings, forward } from '../../proxy/forward.js';
import { plainAddress } from '../../proxy/request-headers.js';
import { sendError } from '../../proxy/responses.js';
import { mayResendElsewhere } from '../../proxy/transport-errors.js';
import { forwardUpgrade } from '../../proxy/upgrade.js';
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

  constructor(private readonly parts: LoadBalancerParts) {
    this.name = parts.name;
    this.targets = parts.targets;
    this.settings = {
      passHostHeader: parts.passHostHeader,
      transport: parts.transport,
      passive: parts.passive,
      onTransportError: (ctx, target, error) => this.transportError(ctx, target, error),
    };
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
    if (ctx.upgradeHead != null) forwardUpgrade(ctx, target, this.settings);
    else forward(ctx, target, this.settings);
  }

  private transportError(ctx: RequestContext, target: UpstreamTarget, error: NodeJS.ErrnoException): boolean {
    this.parts.passive?.failed(target.state, Date.now());
    let failed = ctx.failedUpstreams;
    if (failed == null) failed = ctx.failedUpstreams = [target.url];
    else if (!failed.includes(target.url)) failed.push(target.url);
    const retry = ctx.retry;
    if (retry != null) return retry.retryAfterFailure(ctx, error);
    // Like nginx's default `proxy_next_upstream error`: a server that refused the connection never
    // saw the request, and one that cut it before answering an idempotent request can be replaced,
    // so the request goes to another server of this service at once, even without the retry
    // middleware. This is what keeps a replica that stops (scale-down, crash, deploy) from turning
    // into 502s in the instant before the provider reports it gone — a stopping Node server closes
    // connections it considers idle, including one whose request is still on the wire. A body
    // already read from the client cannot be sent again, so only bodiless requests move.
    if (!mayResendElsewhere(ctx.req.method, error) || (hasRequestBody(ctx.req) && ctx.bufferedBody == null)) {
      return false;
    }
    if (failed.length >= this.targets.length) return false;
    ctx.retries = (ctx.retries ?? 0) + 1;
    this.handle(ctx);
    return true;
  }
}
