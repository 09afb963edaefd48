/**
 * The `failover` service: everything goes to the main service while it has an available server
 * (health checks, passive health and draining all count), else to the fallback.
 */
import type { RequestContext } from '../../core/request-context.js';
import type { ServiceHandle } from './handle.js';

/** A failover pair. */
export class FailoverService implements ServiceHandle {
  readonly handler: (ctx: RequestContext) => void;

  constructor(
    readonly name: string,
    private readonly main: ServiceHandle,
    private readonly fallback: ServiceHandle,
  ) {
    this.handler = (ctx) => {
      if (this.main.available(Date.now())) this.main.handler(ctx);
      else this.fallback.handler(ctx);
    };
  }

  available(now: number): boolean {
    return this.main.available(now) || this.fallback.available(now);
  }
}
