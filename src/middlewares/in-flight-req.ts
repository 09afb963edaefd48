/**
 * inFlightReq: at most `amount` simultaneous requests per source (client IP by default, see
 * sourceCriterion); the next one is answered 429 at once instead of queueing behind them.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { integerValue } from '../config/value-schemas.js';
import { sendError } from '../proxy/responses.js';
import { compileSourceCriterion, sourceCriterionSchema } from './source-criterion.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  amount: integerValue().pipe(z.number().int().min(1, 'must be at least 1')),
  sourceCriterion: sourceCriterionSchema.optional(),
});

/** Validated inFlightReq options. */
export type InFlightReqOptions = z.output<typeof schema>;

const LIMITER = Symbol('switchyard.inFlightLimiter');
const KEY = Symbol('switchyard.inFlightKey');

type Tracked = ServerResponse & { [LIMITER]?: Counts; [KEY]?: string };

/** In-flight counts by source. */
class Counts {
  readonly bySource = new Map<string, number>();

  release(key: string): void {
    const n = (this.bySource.get(key) ?? 1) - 1;
    // Forget idle sources so the map holds only the clients active now.
    if (n <= 0) this.bySource.delete(key);
    else this.bySource.set(key, n);
  }
}

function onClose(this: Tracked): void {
  const counts = this[LIMITER];
  const key = this[KEY];
  if (counts !== undefined && key !== undefined) counts.release(key);
}

/** The inFlightReq middleware type. */
export const inFlightReq: MiddlewareDefinition<InFlightReqOptions> = {
  type: 'inFlightReq',
  schema,
  build(options) {
    const amount = options.amount;
    const keyOf = compileSourceCriterion(options.sourceCriterion);
    // One count per middleware, shared by every router that uses it (as in Traefik).
    const counts = new Counts();
    return (next: Handler): Handler =>
      (ctx: RequestContext) => {
        const key = keyOf(ctx);
        const current = counts.bySource.get(key) ?? 0;
        if (current >= amount) {
          sendError(ctx.res, 429, 'Too Many Requests\n');
          return;
        }
        counts.bySource.set(key, current + 1);
        const res = ctx.res as Tracked;
        res[LIMITER] = counts;
        res[KEY] = key;
        res.once('close', onClose);
        next(ctx);
      };
  },
};
