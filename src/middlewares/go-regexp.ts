/**
 * Traefik's regexps are Go RE2 and its replacements are Go templates (`$1`, `${name}`). The RE2
 * translation is the rule engine's (one translator for rules and middlewares, so a pattern means
 * the same everywhere); this adds the middleware-specific options and Go's template expansion.
 */
import { translateRe2 } from '../rules/re2.js';

/** Compiles an RE2 pattern; `anchored` pins it to the start of the input (as `^(?:…)`). */
export function compileGoRegexp(source: string, options: { anchored?: boolean; global?: boolean } = {}): RegExp {
  const { source: pattern, flags } = translateRe2(source);
  const body = options.anchored ? `^(?:${pattern})` : pattern;
  return new RegExp(body, options.global ? `${flags}g` : flags);
}

type TemplatePart = string | number | { name: string };

/** A replacement function for String.prototype.replace, built once from a Go template. */
export type GoReplacer = (match: string, ...rest: unknown[]) => string;

/**
 * Compiles a Go `Regexp.Expand` template: `$1`, `${1}`, `$name`, `${name}`, `$$`. As in Go, a
 * bare name is as long as possible (`$1x` is group "1x", which is empty), and unknown groups
 * expand to nothing.
 */
export function compileGoTemplate(template: string): GoReplacer {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch !== '$') {
      literal += ch;
      i += 1;
      continue;
    }
    if (template[i + 1] === '$') {
      literal += '$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (template[i + 1] === '{') {
      const m = /^\{(\w+)\}/.exec(template.slice(i + 1));
      if (m) {
        name = m[1];
        end = i + 1 + m[0].length;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      // Malformed reference: Go keeps the `$` as text.
      literal += '$';
      i += 1;
      continue;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(/^(0|[1-9]\d{0,7})$/.test(name) ? Number(name) : { name });
    i = end;
  }
  if (literal !== '') parts.push(literal);
  const frozen = Object.freeze(parts);
  return (match: string, ...rest: unknown[]): string => {
    // replace() passes the groups, then the offset (a number), the input, and the named groups.
    let groupCount = 0;
    while (groupCount < rest.length && typeof rest[groupCount] !== 'number') groupCount += 1;
    const named = rest[groupCount + 2] as Record<string, string | undefined> | undefined;
    let out = '';
    for (const part of frozen) {
      if (typeof part === 'string') out += part;
      else if (typeof part === 'number') out += part === 0 ? match : ((rest[part - 1] as string | undefined) ?? '');
      else out += named?.[part.name] ?? '';
    }
    return out;
  };
}
