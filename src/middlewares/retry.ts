/**
 * retry: configures the balancer's retry policy (balancer/retry-policy.ts) for its routes. A
 * request that failed before any byte of the answer reached the client is sent again, up to
 * `attempts` tries in all, waiting `initialInterval` and then twice as long each time; the
 * load balancer marks the servers that failed, so the next try goes to another server first.
 * This middleware sets the budget (`ctx.retry`), reads a small body into memory so it can be
 * sent again (a larger one streams once, without retry) and runs the rest of the chain again
 * when the balancer asks; what may be retried is the policy's decision.
 */
import { z } from 'zod';
import { durationSchema } from '../config/dynamic-schema.js';
import { integerValue } from '../config/value-schemas.js';
import { bufferableLength, hasRequestBody, readBody } from '../proxy/buffered-body.js';
import type { Handler, MiddlewareDefinition, RequestContext, RetryBudget } from './types.js';

const schema = z.strictObject({
  attempts: integerValue().pipe(z.number().int().min(0, 'must be at least 0')).optional(),
  initialInterval: durationSchema.optional(),
});

/** Validated retry options. */
export type RetryOptions = z.output<typeof schema>;

/** Largest request body read into memory so it can be sent again. */
export const REPLAYABLE_BODY_LIMIT = 256 * 1024;

const SNAPSHOT = Symbol('switchyard.retrySnapshot');

/** What the rest of the chain may change and a retry must undo before running it again. */
class Snapshot {
  readonly path: string;
  readonly query: string;
  readonly strippedPrefix: string | null;
  readonly responseHeaders: number;
  constructor(ctx: RequestContext) {
    this.path = ctx.path;
    this.query = ctx.query;
    this.strippedPrefix = ctx.strippedPrefix;
    this.responseHeaders = ctx.responseHeaders === null ? -1 : ctx.responseHeaders.length;
  }
  restore(ctx: RequestContext): void {
    ctx.path = this.path;
    ctx.query = this.query;
    ctx.strippedPrefix = this.strippedPrefix;
    if (this.responseHeaders === -1) ctx.responseHeaders = null;
    else ctx.responseHeaders?.splice(this.responseHeaders);
  }
}

type WithSnapshot = RequestContext & { [SNAPSHOT]?: Snapshot };

/** One retry middleware instance in front of `next`. */
class Retry implements RetryBudget {
  constructor(
    private readonly next: Handler,
    readonly attempts: number,
    readonly initialInterval: number,
  ) {}

  handle(ctx: RequestContext): void {
    if (this.attempts <= 1 || ctx.upgradeHead != null || ctx.retry != null) {
      this.next(ctx);
      return;
    }
    if (ctx.bufferedBody == null && hasRequestBody(ctx.req)) {
      // A body that cannot be kept in memory is streamed once, without retry.
      if (bufferableLength(ctx.req, REPLAYABLE_BODY_LIMIT) < 0) {
        this.next(ctx);
        return;
      }
      readBody(ctx.req).then(
        (body) => {
          ctx.bufferedBody = body;
          this.begin(ctx);
        },
        () => ctx.res.destroy(),
      );
      return;
    }
    this.begin(ctx);
  }

  private begin(ctx: RequestContext): void {
    ctx.retry = this;
    ctx.attempt = 1;
    (ctx as WithSnapshot)[SNAPSHOT] = new Snapshot(ctx);
    this.next(ctx);
  }

  /** Runs the rest of the chain again, as it was (the balancer sees `failedUpstreams`). */
  again(ctx: RequestContext): void {
    const res = ctx.res;
    // The client went away during the back-off: nobody is waiting for an answer.
    if (res.destroyed || res.writableEnded) return;
    (ctx as WithSnapshot)[SNAPSHOT]?.restore(ctx);
    this.next(ctx);
  }
}

/** The retry middleware type. */
export const retry: MiddlewareDefinition<RetryOptions> = {
  type: 'retry',
  schema,
  build(options) {
    const attempts = options.attempts ?? 0;
    const interval = options.initialInterval ?? 100;
    return (next: Handler): Handler => {
      const instance = new Retry(next, attempts, interval);
      return (ctx) => instance.handle(ctx);
    };
  },
};
