/**
 * stripPrefix: removes the first matching prefix from the path and tells the backend what was
 * removed (X-Forwarded-Prefix), so it can build links that still work behind the prefix.
 */
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { stringList } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  prefixes: stringList.default([]),
  forceSlash: boolValue.optional(),
});

/** Validated stripPrefix options. */
export type StripPrefixOptions = z.output<typeof schema>;

/** Removes `removed` from the front of the path and records it for X-Forwarded-Prefix. */
export function applyStrippedPrefix(ctx: RequestContext, removed: string, rest: string, forceSlash: boolean): void {
  ctx.path = forceSlash ? `/${rest.startsWith('/') ? rest.slice(1) : rest}` : rest.startsWith('/') ? rest : `/${rest}`;
  // Two strips in a row removed both prefixes; the backend needs the whole of what it lost.
  const prior = ctx.strippedPrefix;
  const total =
    prior === null || prior === '' ? removed : prior.endsWith('/') ? prior.slice(0, -1) + removed : prior + removed;
  ctx.strippedPrefix = total;
  ctx.req.headers['x-forwarded-prefix'] = total;
}

/** The stripPrefix middleware type. */
export const stripPrefix: MiddlewareDefinition<StripPrefixOptions> = {
  type: 'stripPrefix',
  schema,
  build(options) {
    // Longest first, so `/api/v1` wins over `/api` whatever order the user listed them in.
    const prefixes = options.prefixes
      .map((prefix) => prefix.trim())
      .filter((prefix) => prefix !== '')
      .sort((a, b) => b.length - a.length);
    const forceSlash = options.forceSlash === true;
    return (next: Handler): Handler =>
      (ctx) => {
        const path = ctx.path;
        for (let i = 0; i < prefixes.length; i++) {
          const prefix = prefixes[i]!;
          if (path.startsWith(prefix)) {
            applyStrippedPrefix(ctx, prefix, path.slice(prefix.length), forceSlash);
            break;
          }
        }
        next(ctx);
      };
  },
};
