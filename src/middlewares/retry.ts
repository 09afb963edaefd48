/**
 * retry: configures the balancer's retry policy (balancer/retry-policy.ts) for its routes. A
 * request that failed before any byte of the answer reached the client is sent again, up to
 * `attempts` tries in all, waiting `initialInterval` (0: at once) and growing so the last wait
 * is twice the first, as Traefik's back-off; the load balancer marks the servers that failed, so
 * the next try goes to another server first. Traefik 3.6's options: `status` (answers with
 * these codes are tried again), `timeout` (no new try after it), `maxRequestBodyBytes` (the
 * largest body kept in memory to send again, 2 MiB by default, -1 for no limit),
 * `disableRetryOnNetworkError` and `retryNonIdempotentMethod`.
 * This middleware sets the budget (`ctx.retry`), reads a body up to the limit into memory so it
 * can be sent again (a larger one streams once, without retry) and runs the rest of the chain
 * again when the balancer asks; what may be retried is the policy's decision.
 */
import { z } from 'zod';
import { durationSchema } from '../config/dynamic-schema.js';
import { boolValue, integerValue, stringList } from '../config/value-schemas.js';
import { bufferableLength, hasRequestBody, readBody } from '../proxy/buffered-body.js';
import type { Handler, MiddlewareDefinition, RequestContext, RetryBudget } from './types.js';

/** Traefik's status ranges: `"500-599"` or a single code `"502"`. */
const statusRange = z.string().transform((entry, ctx): [number, number] => {
  const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(entry);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `invalid status range ${JSON.stringify(entry)} (use 502 or 500-599)` });
    return z.NEVER;
  }
  const low = Number(match[1]);
  return [low, match[2] === undefined ? low : Number(match[2])];
});

const schema = z
  .strictObject({
    attempts: integerValue().pipe(z.number().int().min(0, 'must be at least 0')).optional(),
    initialInterval: durationSchema.optional(),
    timeout: durationSchema.optional(),
    maxRequestBodyBytes: integerValue(-1).optional(),
    status: stringList.pipe(z.array(statusRange)).optional(),
    disableRetryOnNetworkError: boolValue.optional(),
    retryNonIdempotentMethod: boolValue.optional(),
  })
  .refine((o) => !(o.disableRetryOnNetworkError === true && (o.status ?? []).length === 0), {
    message: 'disableRetryOnNetworkError needs status: with neither, nothing would be retried',
    path: ['disableRetryOnNetworkError'],
  });

/** Validated retry options. */
export type RetryOptions = z.output<typeof schema>;

/** Traefik's default `maxRequestBodyBytes`: the largest body read into memory so it can be sent again. */
export const REPLAYABLE_BODY_LIMIT = 2 * 1024 * 1024;

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
  readonly attempts: number;
  readonly initialInterval: number;
  readonly statusRanges: ReadonlyArray<readonly [number, number]> | null;
  readonly timeout: number;
  readonly networkErrors: boolean;
  readonly nonIdempotent: boolean;
  /** The largest body kept to send again; -1: any. */
  private readonly bodyLimit: number;

  constructor(
    private readonly next: Handler,
    options: RetryOptions,
  ) {
    this.attempts = options.attempts ?? 0;
    this.initialInterval = options.initialInterval ?? 0;
    this.statusRanges = options.status !== undefined && options.status.length > 0 ? options.status : null;
    this.timeout = options.timeout ?? 0;
    this.networkErrors = options.disableRetryOnNetworkError !== true;
    this.nonIdempotent = options.retryNonIdempotentMethod === true;
    this.bodyLimit = options.maxRequestBodyBytes ?? REPLAYABLE_BODY_LIMIT;
  }

  handle(ctx: RequestContext): void {
    if (this.attempts <= 1 || ctx.upgradeHead != null || ctx.retry != null) {
      this.next(ctx);
      return;
    }
    // A body an earlier middleware substituted (buffering's file, grpcWeb's decoded text) is a
    // stream that can be read once: it goes once, without retry, as a body too large to keep.
    if (ctx.bufferedBody == null && ctx.bodySource != null) {
      this.next(ctx);
      return;
    }
    if (ctx.bufferedBody == null && hasRequestBody(ctx.req)) {
      // A body that cannot be kept in memory is streamed once, without retry.
      if (bufferableLength(ctx.req, this.bodyLimit) < 0) {
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
    if (this.timeout > 0) ctx.retryStartedAt = Date.now();
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
    return (next: Handler): Handler => {
      const instance = new Retry(next, options);
      return (ctx) => instance.handle(ctx);
    };
  },
};
