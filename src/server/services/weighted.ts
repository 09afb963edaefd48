/**
 * The `weighted` service: smooth weighted round robin over child services, skipping children
 * with no available server, with an optional sticky cookie of its own (whose value hashes the
 * child's name) so nested balancers each keep their pin.
 */
import { StickyCookie } from '../../balancer/sticky.js';
import { eligible } from '../../balancer/strategy.js';
import { WeightedRoundRobin } from '../../balancer/wrr.js';
import type { StickyConfig } from '../../config/dynamic-schema.js';
import type { RequestContext } from '../../core/request-context.js';
import { sendError } from '../../proxy/responses.js';
import { NO_AVAILABLE_SERVER, type ServiceHandle } from './handle.js';

/** A child service with its weight in the parent. */
class WeightedChild {
  constructor(
    readonly handle: ServiceHandle,
    readonly weight: number,
  ) {}
  get key(): string {
    return this.handle.name;
  }
  available(now: number): boolean {
    return this.handle.available(now);
  }
  load(): number {
    return 0;
  }
}

/** A weighted service over child services. */
export class WeightedService implements ServiceHandle {
  readonly handler: (ctx: RequestContext) => void;
  private readonly children: WeightedChild[];
  private readonly strategy: WeightedRoundRobin<WeightedChild>;
  private readonly sticky: StickyCookie<WeightedChild> | null;

  constructor(
    readonly name: string,
    children: Array<{ handle: ServiceHandle; weight: number }>,
    sticky: StickyConfig | undefined,
  ) {
    this.children = children.map((c) => new WeightedChild(c.handle, c.weight));
    this.strategy = new WeightedRoundRobin(this.children);
    this.sticky = sticky?.cookie !== undefined ? new StickyCookie(sticky.cookie, name, this.children) : null;
    this.handler = (ctx) => this.handle(ctx);
  }

  available(now: number): boolean {
    for (const child of this.children) if (child.weight > 0 && child.available(now)) return true;
    return false;
  }

  private handle(ctx: RequestContext): void {
    const now = Date.now();
    let picked: WeightedChild | undefined;
    const sticky = this.sticky;
    if (sticky !== null) {
      const pinned = sticky.pinned(ctx.req.headers.cookie);
      if (pinned !== undefined && eligible(pinned, now, null)) picked = pinned;
    }
    if (picked === undefined) {
      picked = this.strategy.next(now, '', null);
      if (picked !== undefined && sticky !== null) sticky.pin(ctx, picked);
    }
    if (picked === undefined) {
      sendError(ctx.res, 503, NO_AVAILABLE_SERVER);
      return;
    }
    picked.handle.handler(ctx);
  }
}
