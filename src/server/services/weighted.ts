/**
 * The `weighted` service: smooth weighted round robin over child services, skipping children
 * with no available server, with an optional sticky cookie of its own (whose value hashes the
 * child's name) so nested balancers each keep their pin.
 */
import { anyChildAvailable, type ChildService, childServices } from '../../balancer/child-service.js';
import { StickyCookie } from '../../balancer/sticky.js';
import { eligible } from '../../balancer/strategy.js';
import { WeightedRoundRobin } from '../../balancer/wrr.js';
import type { StickyConfig } from '../../config/dynamic-schema.js';
import type { RequestContext } from '../../core/request-context.js';
import { sendError } from '../../proxy/responses.js';
import { NO_AVAILABLE_SERVER, type ServiceHandle } from './handle.js';

/** A weighted service over child services. */
export class WeightedService implements ServiceHandle {
  readonly handler: (ctx: RequestContext) => void;
  private readonly children: Array<ChildService<ServiceHandle>>;
  private readonly strategy: WeightedRoundRobin<ChildService<ServiceHandle>>;
  private readonly sticky: StickyCookie<ChildService<ServiceHandle>> | null;

  constructor(
    readonly name: string,
    children: Array<{ service: ServiceHandle; weight: number }>,
    sticky: StickyConfig | undefined,
  ) {
    this.children = childServices(children);
    this.strategy = new WeightedRoundRobin(this.children);
    this.sticky = sticky?.cookie !== undefined ? new StickyCookie(sticky.cookie, name, this.children) : null;
    this.handler = (ctx) => this.handle(ctx);
  }

  available(now: number): boolean {
    return anyChildAvailable(this.children, now);
  }

  private handle(ctx: RequestContext): void {
    const now = Date.now();
    let picked: ChildService<ServiceHandle> | undefined;
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
    picked.service.handler(ctx);
  }
}
