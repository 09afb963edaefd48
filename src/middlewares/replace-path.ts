/** replacePath: forwards every request to one fixed path, keeping the original in X-Replaced-Path. */
import { z } from 'zod';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  path: z.string(),
});

/** Validated replacePath options. */
export type ReplacePathOptions = z.output<typeof schema>;

/** The replacePath middleware type. */
export const replacePath: MiddlewareDefinition<ReplacePathOptions> = {
  type: 'replacePath',
  schema,
  build(options) {
    const path = options.path;
    return (next: Handler): Handler =>
      (ctx) => {
        // Set, not appended: a client-sent X-Replaced-Path must not reach the backend as ours.
        ctx.req.headers['x-replaced-path'] = ctx.path;
        ctx.path = path;
        next(ctx);
      };
  },
};
