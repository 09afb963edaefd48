/**
 * retry: sends a request again when the upstream failed before any byte of the answer reached
 * the client, up to `attempts` tries in all, waiting `initialInterval` and then twice as long
 * each time. The load balancer marks the servers that failed, so the next try goes to another
 * server first. Only requests that can be replayed are retried: bodiless ones, or bodies small
 * enough to be read into memory first; a request that may have reached the server's application
 * (reset, timeout) is retried only when its method is idempotent.
 */
import { z } from 'zod';
import { durationSchema } from '../config/dynamic-schema.js';
import { bufferableLength, hasRequestBody, readBody } from '../proxy/buffered-body.js';
import { IDEMPOTENT, neverSent } from '../proxy/transport-errors.js';
import { intLike } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext, RetryHandle } from './types.js';

const schema = z.strictObject({
  attempts: intLike.pipe(z.number().int().min(0, 'must be at least 0')).optional(),
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
class Retry implements RetryHandle {
  constructor(
    private readonly next: Handler,
    private readonly attempts: number,
    private readonly initialInterval: number,
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

  retryAfterFailure(ctx: RequestContext, error: NodeJS.ErrnoException): boolean {
    const attempt = ctx.attempt ?? 1;
    if (attempt >= this.attempts) return false;
    const res = ctx.res;
    if (res.headersSent || res.destroyed || res.writableEnded) return false;
    if (!neverSent(error) && !IDEMPOTENT.has(ctx.req.method ?? 'GET')) return false;
    ctx.attempt = attempt + 1;
    ctx.retries = (ctx.retries ?? 0) + 1;
    const delay = this.initialInterval * 2 ** (attempt - 1);
    if (delay > 0) setTimeout(redispatch, delay, this, ctx);
    else setImmediate(redispatch, this, ctx);
    return true;
  }

  /** Runs the rest of the chain again (the balancer sees `failedUpstreams`). */
  again(ctx: RequestContext): void {
    const res = ctx.res;
    // The client went away during the back-off: nobody is waiting for an answer.
    if (res.destroyed || res.writableEnded) return;
    (ctx as WithSnapshot)[SNAPSHOT]?.restore(ctx);
    this.next(ctx);
  }
}

function redispatch(retry: Retry, ctx: RequestContext): void {
  retry.again(ctx);
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
