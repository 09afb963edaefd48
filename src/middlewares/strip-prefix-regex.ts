/**
 * stripPrefixRegex: like stripPrefix, but the prefix is whatever an RE2 regexp matches at the
 * start of the path (Traefik only strips a match that begins at offset 0).
 */
import { z } from 'zod';
import { compileGoRegexp } from './go-regexp.js';
import { stringList } from './options.js';
import { applyStrippedPrefix } from './strip-prefix.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  regex: stringList.transform((sources, ctx) => {
    const compiled: RegExp[] = [];
    for (const [index, source] of sources.entries()) {
      try {
        compiled.push(compileGoRegexp(source.trim(), { anchored: true }));
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`,
        });
      }
    }
    return compiled;
  }),
});

/** Validated stripPrefixRegex options: the regexps, compiled and anchored at the start. */
export type StripPrefixRegexOptions = z.output<typeof schema>;

/** The stripPrefixRegex middleware type. */
export const stripPrefixRegex: MiddlewareDefinition<StripPrefixRegexOptions> = {
  type: 'stripPrefixRegex',
  schema,
  build(options) {
    const regexps = options.regex;
    return (next: Handler): Handler =>
      (ctx) => {
        const path = ctx.path;
        for (let i = 0; i < regexps.length; i++) {
          const match = regexps[i]!.exec(path);
          if (match !== null) {
            const removed = match[0];
            applyStrippedPrefix(ctx, removed, path.slice(removed.length), false);
            break;
          }
        }
        next(ctx);
      };
  },
};
