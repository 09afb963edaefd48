/**
 * redirectRegex: redirects when an RE2 regexp matches the full request URL
 * (`http://host:8000/path?query`), to the URL its Go-template replacement produces. A rewrite
 * that yields the same URL passes the request on, so a rule cannot redirect to itself forever.
 */
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { compileGoTemplate } from './go-regexp.js';
import { goReplaceRegexp } from './options.js';
import { clientUrl, sendRedirect } from './redirect.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  regex: goReplaceRegexp,
  replacement: z.string().refine((text) => !/[\x00-\x1f\x7f]/.test(text), 'control characters are not allowed'),
  permanent: boolValue.optional(),
});

/** Validated redirectRegex options (regex compiled, global). */
export type RedirectRegexOptions = z.output<typeof schema>;

/** The redirectRegex middleware type. */
export const redirectRegex: MiddlewareDefinition<RedirectRegexOptions> = {
  type: 'redirectRegex',
  schema,
  build(options) {
    const regex = options.regex;
    const tester = new RegExp(regex.source, regex.flags.replace('g', ''));
    // Traefik's url.Parse + String() escapes what a URL cannot hold; do it once to the literal parts.
    const replacer = compileGoTemplate(options.replacement.replace(/[^\x21-\x7e]+/gu, (text) => encodeURI(text)));
    const permanent = options.permanent === true;
    return (next: Handler): Handler =>
      (ctx) => {
        const url = clientUrl(ctx);
        if (!tester.test(url)) {
          next(ctx);
          return;
        }
        const target = url.replace(regex, replacer);
        if (target === url) {
          next(ctx);
          return;
        }
        sendRedirect(ctx, target, permanent);
      };
  },
};
