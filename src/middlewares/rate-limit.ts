/**
 * rateLimit: a token bucket per source (client IP by default, see sourceCriterion). Tokens
 * refill at `average` per `period` up to `burst`; a request takes one or is answered 429 with
 * Retry-After. `average: 0` means no limit, as in Traefik.
 */
import { z } from 'zod';
import { durationSchema } from '../config/dynamic-schema.js';
import { boolValue, durationMs, integerValue, stringList } from '../config/value-schemas.js';
import { caughtAtBoundary } from '../core/last-resort.js';
import { sendError } from '../proxy/responses.js';
import { SharedBuckets } from './shared-buckets.js';
import { compileSourceCriterion, sourceCriterionSchema } from './source-criterion.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  average: z
    .union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, 'expected a number')])
    .transform(Number)
    .optional(),
  period: durationSchema.optional(),
  burst: integerValue().pipe(z.number().int().min(0, 'must be at least 0')).optional(),
  sourceCriterion: sourceCriterionSchema.optional(),
  // Traefik 3.4: buckets in Redis, shared by every instance naming it (shared-buckets.ts).
  redis: z
    .strictObject({
      endpoints: stringList.default(['localhost:6379']),
      username: z.string().optional(),
      password: z.string().optional(),
      db: integerValue(0).default(0),
      tls: z
        .strictObject({
          ca: z.string().optional(),
          cert: z.string().optional(),
          key: z.string().optional(),
          insecureSkipVerify: boolValue.default(false),
        })
        .optional(),
      poolSize: integerValue(0).default(0),
      minIdleConns: integerValue(0).default(0),
      maxActiveConns: integerValue(0).default(0),
      readTimeout: durationMs.default(3000),
      writeTimeout: durationMs.default(3000),
      dialTimeout: durationMs.default(5000),
    })
    .optional(),
});

/** Validated rateLimit options. */
export type RateLimitOptions = z.output<typeof schema>;

/** Buckets untouched this long are full again and can be forgotten (ms). */
const SWEEP_EVERY = 1024;

class Bucket {
  constructor(
    public tokens: number,
    public updated: number,
  ) {}
}

/** Token buckets of one rateLimit middleware. */
class Limiter {
  private readonly buckets = new Map<string, Bucket>();
  private calls = 0;
  /** Tokens per millisecond. */
  private readonly rate: number;

  constructor(
    average: number,
    period: number,
    private readonly burst: number,
  ) {
    this.rate = average / period;
  }

  /** Takes a token for `key`; returns 0 when allowed, else the ms until one is available. */
  take(key: string, now: number): number {
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new Bucket(this.burst, now);
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updated) * this.rate);
      bucket.updated = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.rate);
  }

  /** Drops buckets that have refilled completely: they hold nothing a new bucket would not. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updated) * this.rate >= this.burst) this.buckets.delete(key);
    }
  }
}

/** The rateLimit middleware type. */
export const rateLimit: MiddlewareDefinition<RateLimitOptions> = {
  type: 'rateLimit',
  schema,
  build(options, context) {
    const average = options.average ?? 0;
    const period = options.period ?? 1000;
    if (period <= 0) throw new Error('period: must be positive');
    const burst = Math.max(1, options.burst ?? 1);
    const keyOf = compileSourceCriterion(options.sourceCriterion);
    if (average <= 0) return (next: Handler): Handler => next;
    if (options.redis !== undefined) return sharedLimit(options.redis, context.name, average / period, burst, keyOf);
    const limiter = new Limiter(average, period, burst);
    return (next: Handler): Handler =>
      (ctx: RequestContext) => {
        const wait = limiter.take(keyOf(ctx), Date.now());
        if (wait === 0) {
          next(ctx);
          return;
        }
        tooMany(ctx, wait);
      };
  },
};

function tooMany(ctx: RequestContext, wait: number): void {
  ctx.res.setHeader('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
  sendError(ctx.res, 429, 'Too Many Requests\n');
}

/**
 * The limit kept in Redis. As in Traefik, a bucket Redis cannot update is a 500 for that
 * request (failing open would lift the limit for the whole fleet while Redis is away).
 */
function sharedLimit(
  redis: NonNullable<RateLimitOptions['redis']>,
  name: string,
  rate: number,
  burst: number,
  keyOf: (ctx: RequestContext) => string,
) {
  // poolSize 0 is Traefik's "10 per CPU" for a Go pool; one pipelined ioredis connection does that work.
  const buckets = new SharedBuckets(
    {
      ...redis,
      poolSize: redis.poolSize === 0 ? 1 : redis.poolSize,
      readTimeout: Math.min(redis.readTimeout, redis.writeTimeout),
    },
    name,
    rate,
    burst,
  );
  return (next: Handler): Handler =>
    (ctx: RequestContext) => {
      buckets.take(keyOf(ctx)).then(
        (wait) => {
          // Outside the entry point's guard now (a promise callback): nothing may escape.
          try {
            if (wait === 0) next(ctx);
            else tooMany(ctx, wait);
          } catch (thrown) {
            caughtAtBoundary(thrown, 'rateLimit');
            if (!ctx.res.headersSent) sendError(ctx.res, 500);
            else ctx.res.destroy();
          }
        },
        () => {
          if (!ctx.res.headersSent) sendError(ctx.res, 500, 'Could not insert/update bucket\n');
        },
      );
    };
}
