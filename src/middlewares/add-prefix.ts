/** addPrefix: prepends a fixed prefix to the path before forwarding. */
import { z } from 'zod';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  prefix: z.string().refine((prefix) => prefix.trim() !== '', 'prefix cannot be empty'),
});

/** Validated addPrefix options. */
export type AddPrefixOptions = z.output<typeof schema>;

/** The addPrefix middleware type. */
export const addPrefix: MiddlewareDefinition<AddPrefixOptions> = {
  type: 'addPrefix',
  schema,
  build(options) {
    const trimmed = options.prefix.trim();
    const prefix = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
    // `/api/` + `/users` would forward `/api//users`; keep exactly one slash at the seam.
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    return (next: Handler): Handler =>
      (ctx) => {
        ctx.path = base + ctx.path;
        next(ctx);
      };
  },
};
