/**
 * circuitBreaker: watches the traffic through it and, when `expression` holds (checked every
 * `checkPeriod`), stops sending requests on: for `fallbackDuration` every request is answered
 * `responseCode` at once. Then it recovers over `recoveryDuration`, letting a growing share of
 * requests through, and closes again, or trips anew if the expression holds again.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { durationSchema } from '../config/dynamic-schema.js';
import { integerValue } from '../config/value-schemas.js';
import { sendError } from '../proxy/responses.js';
import { type CircuitPredicate, compileCircuitExpression } from './circuit-expression.js';
import { RollingMetrics } from './circuit-metrics.js';
import { OptionError } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  expression: z.string(),
  checkPeriod: durationSchema.optional(),
  fallbackDuration: durationSchema.optional(),
  recoveryDuration: durationSchema.optional(),
  responseCode: integerValue().pipe(z.number().int().min(100).max(599)).optional(),
});

/** Validated circuitBreaker options. */
export type CircuitBreakerOptions = z.output<typeof schema>;

/** The breaker's state, as Traefik names them. */
export type BreakerState = 'standby' | 'tripped' | 'recovering';

const BREAKER = Symbol('switchyard.breaker');
const STARTED = Symbol('switchyard.breakerStarted');

type Watched = ServerResponse & { [BREAKER]?: Breaker; [STARTED]?: number };

/** One circuit breaker (shared by every router that uses the middleware). */
export class Breaker {
  state: BreakerState = 'standby';
  private readonly metrics = new RollingMetrics();
  private nextCheck = 0;
  /** End of tripped, or start of recovering. */
  private since = 0;

  constructor(
    private readonly predicate: CircuitPredicate,
    private readonly checkPeriod: number,
    private readonly fallbackDuration: number,
    private readonly recoveryDuration: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether a request may go on now. */
  allow(now: number): boolean {
    if (this.state === 'tripped') {
      if (now < this.since) return false;
      this.state = 'recovering';
      this.since = now;
      this.metrics.reset();
    }
    if (now >= this.nextCheck) {
      this.nextCheck = now + this.checkPeriod;
      if (this.predicate(this.metrics.at(now))) {
        this.state = 'tripped';
        this.since = now + this.fallbackDuration;
        this.metrics.reset();
        return false;
      }
    }
    if (this.state === 'recovering') {
      const share = (now - this.since) / this.recoveryDuration;
      if (share >= 1) this.state = 'standby';
      else return this.random() < share;
    }
    return true;
  }

  /** Records a finished request that went through. */
  record(status: number, latencyMs: number, now: number): void {
    this.metrics.record(status, latencyMs, now);
  }
}

function onFinished(this: Watched): void {
  const breaker = this[BREAKER];
  const started = this[STARTED];
  // A response cut short may be the client leaving: it says nothing about the servers.
  if (breaker === undefined || started === undefined || !this.writableFinished) return;
  breaker.record(this.statusCode, performance.now() - started, Date.now());
}

/** The circuitBreaker middleware type. */
export const circuitBreaker: MiddlewareDefinition<CircuitBreakerOptions> = {
  type: 'circuitBreaker',
  schema,
  build(options) {
    let predicate: CircuitPredicate;
    try {
      predicate = compileCircuitExpression(options.expression);
    } catch (error) {
      throw new OptionError('expression', `${(error as Error).message} in ${JSON.stringify(options.expression)}`);
    }
    const breaker = new Breaker(
      predicate,
      options.checkPeriod ?? 100,
      options.fallbackDuration ?? 10_000,
      options.recoveryDuration ?? 10_000,
    );
    const code = options.responseCode ?? 503;
    return (next: Handler): Handler =>
      (ctx: RequestContext) => {
        if (!breaker.allow(Date.now())) {
          sendError(ctx.res, code);
          return;
        }
        const res = ctx.res as Watched;
        res[BREAKER] = breaker;
        res[STARTED] = performance.now();
        res.once('close', onFinished);
        next(ctx);
      };
  },
};
