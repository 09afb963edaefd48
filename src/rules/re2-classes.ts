/**
 * Character sets for the RE2 → JavaScript translation. RE2's Perl classes (`\d`, `\s`, `\w`) and
 * POSIX classes (`[:alpha:]`) are ASCII-only, whereas JavaScript's `\s` (and `\w` under the `iu`
 * flags) are wider, so every one of them is written out as explicit ranges.
 */

/** An inclusive code-point range. */
export type CodeRange = readonly [low: number, high: number];

const MAX_CODE_POINT = 0x10ffff;

const r = (low: string, high = low): CodeRange => [low.codePointAt(0)!, high.codePointAt(0)!];

/** RE2's Perl classes by escape letter (lower-case; upper-case is the complement). */
export const PERL_CLASSES: Readonly<Record<string, readonly CodeRange[]>> = {
  d: [r('0', '9')],
  s: [r('\t', '\n'), r('\f', '\r'), r(' ')],
  w: [r('0', '9'), r('A', 'Z'), r('_'), r('a', 'z')],
};

/** POSIX classes usable inside brackets, `[[:alpha:]]`, with RE2's ASCII definitions. */
export const POSIX_CLASSES: Readonly<Record<string, readonly CodeRange[]>> = {
  alnum: [r('0', '9'), r('A', 'Z'), r('a', 'z')],
  alpha: [r('A', 'Z'), r('a', 'z')],
  ascii: [[0, 0x7f]],
  blank: [r('\t'), r(' ')],
  cntrl: [
    [0, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [r('0', '9')],
  graph: [r('!', '~')],
  lower: [r('a', 'z')],
  print: [r(' ', '~')],
  punct: [r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
  space: [r('\t', '\r'), r(' ')],
  upper: [r('A', 'Z')],
  word: [r('0', '9'), r('A', 'Z'), r('_'), r('a', 'z')],
  xdigit: [r('0', '9'), r('A', 'F'), r('a', 'f')],
};

/** The ranges not covered by `ranges` (which must be sorted and disjoint), over all code points. */
export function complement(ranges: readonly CodeRange[]): CodeRange[] {
  const result: CodeRange[] = [];
  let next = 0;
  for (const [low, high] of ranges) {
    if (low > next) result.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= MAX_CODE_POINT) result.push([next, MAX_CODE_POINT]);
  return result;
}

/** Writes one code point so that it is a literal inside a JavaScript `u`-mode character class. */
export function classLiteral(cp: number): string {
  if (cp === 0x5c || cp === 0x5d || cp === 0x5b || cp === 0x5e || cp === 0x2d) return `\\${String.fromCodePoint(cp)}`;
  return printable(cp) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

/** Writes one code point so that it is a literal outside classes in a JavaScript `u`-mode regexp. */
export function patternLiteral(cp: number): string {
  if (cp < 0x80 && '^$\\.*+?()[]{}|/'.includes(String.fromCharCode(cp))) return `\\${String.fromCharCode(cp)}`;
  return printable(cp) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

/** Writes ranges as the body of a JavaScript character class. */
export function rangesSource(ranges: readonly CodeRange[]): string {
  let source = '';
  for (const [low, high] of ranges) {
    source += low === high ? classLiteral(low) : `${classLiteral(low)}-${classLiteral(high)}`;
  }
  return source;
}

/** Visible characters are written as themselves; controls, separators and surrogates as `\u{…}`. */
function printable(cp: number): boolean {
  return cp > 0x20 && cp < 0xfff0 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0xa0) && !(cp >= 0xd800 && cp <= 0xdfff);
}
