/**
 * encodedCharacters: refuses, with an empty 400, a request whose path holds an encoded character
 * a server may read differently from the router (`%2F`, `%5C`, `%00`, `%3B`, `%25`, `%3F`, `%23`),
 * unless its `allowEncoded…` key is true — Traefik 3.6's middleware, on the path as the earlier
 * middlewares of the router left it. The entry point's `http.encodedCharacters` makes the same
 * check for every router first (rules/sanitize-path.ts, whose table and check this reuses); this
 * middleware is stricter per router. A path ending in an incomplete escape (`/a%2`) is refused too.
 */
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { allowedEncodings, refusedEscape } from '../rules/sanitize-path.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  allowEncodedSlash: boolValue.optional(),
  allowEncodedBackSlash: boolValue.optional(),
  allowEncodedNullCharacter: boolValue.optional(),
  allowEncodedSemicolon: boolValue.optional(),
  allowEncodedPercent: boolValue.optional(),
  allowEncodedQuestionMark: boolValue.optional(),
  allowEncodedHash: boolValue.optional(),
});

/** Validated encodedCharacters options. */
export type EncodedCharactersOptions = z.output<typeof schema>;

const ALL = allowedEncodings({
  allowEncodedSlash: true,
  allowEncodedBackSlash: true,
  allowEncodedNullCharacter: true,
  allowEncodedSemicolon: true,
  allowEncodedPercent: true,
  allowEncodedQuestionMark: true,
  allowEncodedHash: true,
});

const REFUSAL = { 'content-length': '0' };

/** The encodedCharacters middleware type. */
export const encodedCharacters: MiddlewareDefinition<EncodedCharactersOptions> = {
  type: 'encodedCharacters',
  schema,
  build(options, context) {
    const allowed = allowedEncodings(options);
    // Everything allowed: Traefik's middleware passes every request on untouched.
    if (allowed === ALL) return (next: Handler): Handler => next;
    return (next: Handler): Handler =>
      (ctx) => {
        const path = ctx.path;
        const last = path.lastIndexOf('%');
        if (last !== -1) {
          const refused = last + 2 >= path.length ? path.slice(last) : refusedEscape(path, allowed);
          if (refused !== null) {
            context.logger?.debug(
              { middleware: context.name, path, escape: refused },
              'encodedCharacters: encoded character refused in the request path',
            );
            ctx.res.writeHead(400, REFUSAL);
            ctx.res.end();
            return;
          }
        }
        next(ctx);
      };
  },
};
