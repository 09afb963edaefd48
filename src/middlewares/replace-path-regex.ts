/**
 * replacePathRegex: rewrites the (escaped) path with an RE2 regexp and a Go replacement
 * template (`/v2/$1`), keeping the original in X-Replaced-Path. Like Traefik, every match is
 * replaced (Go's ReplaceAllString) and a path that does not match is left alone.
 */
import { z } from 'zod';
import { compileGoTemplate } from './go-regexp.js';
import { goReplaceRegexp } from './options.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  regex: goReplaceRegexp,
  replacement: z.string(),
});

/** Validated replacePathRegex options (regex compiled, global). */
export type ReplacePathRegexOptions = z.output<typeof schema>;

/** The replacePathRegex middleware type. */
export const replacePathRegex: MiddlewareDefinition<ReplacePathRegexOptions> = {
  type: 'replacePathRegex',
  schema,
  build(options) {
    const regex = options.regex;
    const tester = new RegExp(regex.source, regex.flags.replace('g', ''));
    const replacer = compileGoTemplate(options.replacement);
    // Traefik does nothing when the replacement is empty rather than erase the path.
    const active = options.replacement !== '';
    return (next: Handler): Handler =>
      (ctx) => {
        const path = ctx.path;
        if (active && tester.test(path)) {
          ctx.req.headers['x-replaced-path'] = path;
          ctx.path = path.replace(regex, replacer);
        }
        next(ctx);
      };
  },
};
