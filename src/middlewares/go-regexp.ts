/**
 * Traefik's regexps are Go RE2 and its replacements are Go templates (`$1`, `${name}`). This
 * translates the common RE2 spellings into JavaScript once, at build time, and rejects the
 * constructs Go would reject (lookaround, backreferences) so a config that fails in Traefik
 * fails here too instead of silently meaning something else.
 */

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Translates RE2 syntax to a JavaScript pattern and flags; throws on unsupported constructs. */
export function translateGoRegexp(source: string): { pattern: string; flags: string } {
  let flags = '';
  let i = 0;
  // Go allows flags anywhere; JavaScript (before ES2025 modifiers) only for the whole pattern.
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    for (const flag of leading[1]!) {
      if (flag === 'U') throw new Error('the U (ungreedy) flag is not supported');
      if (!flags.includes(flag)) flags += flag;
    }
    i = leading[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new Error('trailing backslash');
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end === -1 ? source.length : end);
        out += escapeLiteral(literal);
        i = end === -1 ? source.length : end + 2;
        continue;
      }
      if (!inClass && next === 'A') {
        out += '(?<![\\s\\S])';
      } else if (!inClass && next === 'z') {
        out += '(?![\\s\\S])';
      } else if (next === 'p' || next === 'P') {
        // \pL → \p{L}; needs the u flag.
        if (source[i + 2] === '{') {
          const end = source.indexOf('}', i + 2);
          if (end === -1) throw new Error('missing closing } in \\p{…}');
          out += source.slice(i, end + 1);
          i = end + 1;
        } else {
          out += `\\${next}{${source[i + 2] ?? ''}}`;
          i += 3;
        }
        if (!flags.includes('u')) flags += 'u';
        continue;
      } else if (/[1-9]/.test(next)) {
        throw new Error('backreferences are not supported by RE2');
      } else if (next === 'C' || next === 'Z') {
        throw new Error(`\\${next} is not supported`);
      } else {
        out += ch + next;
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2);
        const name = end === -1 ? undefined : source.slice(i + 2, end);
        const range = name === undefined ? undefined : POSIX_CLASSES[name];
        if (range === undefined) throw new Error(`unknown or unsupported character class [:${name ?? ''}:]`);
        out += range;
        i = end + 2;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
      i += 1;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i += 1;
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (source[i] === '^') {
        out += '^';
        i += 1;
      }
      if (source[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (ch === '(' && source[i + 1] === '?') {
      if (source.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (source.startsWith('(?:', i) || (source.startsWith('(?<', i) && /^\(\?<\w/.test(source.slice(i)))) {
        out += source.slice(i, i + 3);
        i += 3;
        continue;
      }
      throw new Error(`unsupported group syntax ${source.slice(i, i + 4)}…`);
    }
    out += ch;
    i += 1;
  }
  if (inClass) throw new Error('missing closing ]');
  return { pattern: out, flags };
}

/** Compiles an RE2 pattern; `anchored` pins it to the start of the input (as `^(?:…)`). */
export function compileGoRegexp(source: string, options: { anchored?: boolean; global?: boolean } = {}): RegExp {
  const { pattern, flags } = translateGoRegexp(source);
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
