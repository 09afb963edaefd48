/**
 * The `highestRandomWeight` service (Traefik's HRW service, not the `hrw` strategy of a load
 * balancer): picks one of its child services by rendezvous hashing of the client's IP address
 * (the connection's, not X-Forwarded-For, as Traefik's RemoteAddrStrategy), weighted. A client
 * keeps its child while that child can take requests; when a child has no available server,
 * only its clients move. The `hrw` strategy does the same with servers inside one load balancer.
 */
import { anyChildAvailable, type ChildService, childServices } from '../../balancer/child-service.js';
import { HighestRandomWeight } from '../../balancer/hrw.js';
import type { RequestContext } from '../../core/request-context.js';
import { plainAddress } from '../../proxy/request-headers.js';
import { sendError } from '../../proxy/responses.js';
import { NO_AVAILABLE_SERVER, type ServiceHandle } from './handle.js';

/** A highest-random-weight service over child services. */
export class HighestRandomWeightService implements ServiceHandle {
  readonly handler: (ctx: RequestContext) => void;
  private readonly children: Array<ChildService<ServiceHandle>>;
  private readonly strategy: HighestRandomWeight<ChildService<ServiceHandle>>;

  constructor(
    readonly name: string,
    children: Array<{ service: ServiceHandle; weight: number }>,
  ) {
    this.children = childServices(children);
    this.strategy = new HighestRandomWeight(this.children);
    this.handler = (ctx) => this.handle(ctx);
  }

  available(now: number): boolean {
    return anyChildAvailable(this.children, now);
  }

  private handle(ctx: RequestContext): void {
    const picked = this.strategy.next(Date.now(), plainAddress(ctx.req.socket.remoteAddress), null);
    if (picked === undefined) {
      sendError(ctx.res, 503, NO_AVAILABLE_SERVER);
      return;
    }
    picked.service.handler(ctx);
  }
}
