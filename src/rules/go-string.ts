/**
 * Go string literals, the two forms a rule argument may take. Traefik parses rules with Go's own
 * expression parser, so `"…"` is an interpreted literal with Go's escapes and `` `…` `` is a raw
 * literal; we reproduce both so a rule means the same thing here as in Traefik.
 */
import { RuleSyntaxError } from '../errors.js';

/** A literal read from the rule: its decoded value and the offset just past its closing quote. */
export interface GoStringLiteral {
  value: string;
  end: number;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
  '"': 0x22,
};

const utf8 = new TextEncoder();

/** Reads a raw (backtick) literal starting at `start`; carriage returns are dropped as Go does. */
export function readRawString(rule: string, start: number): GoStringLiteral {
  const close = rule.indexOf('`', start + 1);
  if (close === -1) throw new RuleSyntaxError('unterminated backtick string', rule, start);
  return { value: rule.slice(start + 1, close).replaceAll('\r', ''), end: close + 1 };
}

/**
 * Reads an interpreted (double-quoted) literal starting at `start`. Escapes producing single
 * bytes (`\xHH`, octal) are gathered as bytes and decoded as UTF-8 at the end, because in Go
 * `"\xc3\xa9"` is the string "é".
 */
export function readInterpretedString(rule: string, start: number): GoStringLiteral {
  const bytes: number[] = [];
  let i = start + 1;
  while (i < rule.length) {
    const ch = rule[i]!;
    if (ch === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (ch === '\n') throw new RuleSyntaxError('newline in double-quoted string', rule, i);
    if (ch !== '\\') {
      const cp = rule.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      for (const b of utf8.encode(rule.slice(i, i + width))) bytes.push(b);
      i += width;
      continue;
    }
    i = readEscape(rule, i, bytes);
  }
  throw new RuleSyntaxError('unterminated double-quoted string', rule, start);
}

/** Decodes one escape at `at` (the backslash) into `bytes`; returns the offset after it. */
function readEscape(rule: string, at: number, bytes: number[]): number {
  const kind = rule[at + 1];
  if (kind === undefined) throw new RuleSyntaxError('unterminated double-quoted string', rule, at);
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) {
    bytes.push(simple);
    return at + 2;
  }
  if (kind === 'x') {
    bytes.push(readDigits(rule, at, at + 2, 2, 16));
    return at + 4;
  }
  if (kind >= '0' && kind <= '7') {
    const value = readDigits(rule, at, at + 1, 3, 8);
    if (value > 255) throw new RuleSyntaxError(`octal escape value ${value} > 255`, rule, at);
    bytes.push(value);
    return at + 4;
  }
  if (kind === 'u' || kind === 'U') {
    const width = kind === 'u' ? 4 : 8;
    const cp = readDigits(rule, at, at + 2, width, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new RuleSyntaxError('escape sequence is an invalid Unicode code point', rule, at);
    }
    for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
    return at + 2 + width;
  }
  throw new RuleSyntaxError(`unknown escape sequence \\${kind} (write \\\\ for a backslash)`, rule, at);
}

/** Parses exactly `count` digits in `base` at `from`; the error points at the escape's backslash. */
function readDigits(rule: string, escapeAt: number, from: number, count: number, base: number): number {
  const digits = rule.slice(from, from + count);
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (digits.length !== count || !valid.test(digits)) {
    throw new RuleSyntaxError(`escape sequence needs ${count} base-${base} digits`, rule, escapeAt);
  }
  return Number.parseInt(digits, base);
}
