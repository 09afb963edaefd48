/**
 * Splits a Go text/template source into text segments and actions, each action already cut into
 * tokens. Go's lexer streams; a whole-source split is simpler and enough here, since a template
 * is compiled once (a file when it is loaded, a default rule when the provider is configured).
 * Trim markers (`{{- ` and ` -}}`) are applied to the neighbouring text here, and comments
 * (`{{/* … *\/}}`) vanish, as in Go.
 */
import { readInterpretedString, readRawString } from '../rules/go-string.js';
import { TemplateSyntaxError } from './errors.js';

/** One token of an action; `at` is its offset in the source. */
export type Token =
  | { kind: 'ident' | 'var' | 'keyword'; value: string; at: number }
  | { kind: 'field'; value: string; at: number; chained?: boolean }
  | { kind: 'string' | 'number' | 'bool' | 'char'; value: string | number | boolean; at: number }
  | { kind: 'nil' | 'dot' | '|' | '(' | ')' | ':=' | '=' | ','; at: number };

/** A stretch of literal text, or one action between delimiters. */
export type Segment = { kind: 'text'; text: string; at: number } | { kind: 'action'; tokens: Token[]; at: number };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const SPACE = /[ \t\r\n]/;

/** Cuts `source` into segments; throws TemplateSyntaxError (with the offset) on a lexical fault. */
export function lexTemplate(source: string, name: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  let trimNext = false;
  const fail = (message: string, at: number): never => {
    throw new TemplateSyntaxError(message, name, source, at);
  };
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = open === -1 ? source.slice(i) : source.slice(i, open);
    if (trimNext) text = trimLeftSpace(text);
    const textAt = i;
    if (open === -1) {
      if (text !== '') segments.push({ kind: 'text', text, at: textAt });
      break;
    }
    let start = open + 2;
    if (source[start] === '-' && SPACE.test(source[start + 1] ?? '')) {
      text = trimRightSpace(text);
      start += 2;
    }
    if (text !== '') segments.push({ kind: 'text', text, at: textAt });
    // A comment: `/*` right after the delimiter (and its trim marker), `*/` right before the closing one.
    if (source.startsWith('/*', start)) {
      const endComment = source.indexOf('*/', start + 2);
      if (endComment === -1) fail('unclosed comment', open);
      let after = endComment + 2;
      trimNext = false;
      if (SPACE.test(source[after] ?? '') && source.startsWith('-}}', after + 1)) {
        trimNext = true;
        after += 2;
      }
      if (!source.startsWith('}}', after)) fail('comment ends before closing delimiter', endComment);
      i = after + 2;
      continue;
    }
    const { tokens, close, trim } = lexAction(source, start, open, fail);
    segments.push({ kind: 'action', tokens, at: open });
    trimNext = trim;
    i = close;
  }
  return segments;
}

function trimLeftSpace(text: string): string {
  let k = 0;
  while (k < text.length && SPACE.test(text[k]!)) k++;
  return text.slice(k);
}

function trimRightSpace(text: string): string {
  let k = text.length;
  while (k > 0 && SPACE.test(text[k - 1]!)) k--;
  return text.slice(0, k);
}

const NUMBER = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/;

function lexAction(
  source: string,
  from: number,
  open: number,
  fail: (message: string, at: number) => never,
): { tokens: Token[]; close: number; trim: boolean } {
  const tokens: Token[] = [];
  let i = from;
  for (;;) {
    if (i >= source.length) fail('unclosed action', open);
    const ch = source[i]!;
    if (SPACE.test(ch)) {
      if (source.startsWith('-}}', i + 1)) return { tokens, close: i + 4, trim: true };
      i++;
      continue;
    }
    if (source.startsWith('}}', i)) return { tokens, close: i + 2, trim: false };
    const at = i;
    if (ch === '"' || ch === '`') {
      let literal: { value: string; end: number };
      try {
        literal = ch === '`' ? readRawString(source, i) : readInterpretedString(source, i);
      } catch (error) {
        fail(`bad string literal: ${(error as Error).message.replace(/ at position \d+ in rule [\s\S]*$/, '')}`, at);
      }
      if (ch === '"' && source.slice(i, literal.end).includes('\n')) fail('unterminated quoted string', at);
      tokens.push({ kind: 'string', value: literal.value, at });
      i = literal.end;
    } else if (ch === "'") {
      const end = source.indexOf("'", i + 1);
      if (end === -1) fail('unterminated character constant', at);
      let value: string;
      try {
        value = readInterpretedString(`"${source.slice(i + 1, end)}"`, 0).value;
      } catch {
        fail('bad character constant', at);
      }
      if ([...value].length !== 1) fail('bad character constant', at);
      tokens.push({ kind: 'char', value: value.codePointAt(0)!, at });
      i = end + 1;
    } else if (ch === ':' && source[i + 1] === '=') {
      tokens.push({ kind: ':=', at });
      i += 2;
    } else if (ch === '=' || ch === '|' || ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, at });
      i++;
    } else if (ch === '$') {
      const match = /^\$\w*/.exec(source.slice(i, i + 256))!;
      tokens.push({ kind: 'var', value: match[0], at });
      i += match[0].length;
    } else if (ch === '.' && !/\d/.test(source[i + 1] ?? '')) {
      const match = /^\.[A-Za-z_]\w*/.exec(source.slice(i, i + 256));
      if (match) {
        tokens.push({ kind: 'field', value: match[0].slice(1), at });
        i += match[0].length;
      } else {
        tokens.push({ kind: 'dot', at });
        i++;
      }
    } else if (/[\d+\-.]/.test(ch)) {
      const match = NUMBER.exec(source.slice(i, i + 64));
      if (!match || match[0] === '' || /^[+-]$/.test(match[0])) fail(`unexpected ${JSON.stringify(ch)} in action`, at);
      const literal = match[0].replaceAll('_', '');
      const value = /^[+-]?0[oO]/.test(literal)
        ? Number.parseInt(literal.replace(/0[oO]/, ''), 8)
        : /^[+-]?0[bB]/.test(literal)
          ? Number.parseInt(literal.replace(/0[bB]/, ''), 2) * (literal.startsWith('-') ? -1 : 1)
          : Number(literal);
      if (!Number.isFinite(value)) fail(`bad number syntax: ${JSON.stringify(match[0])}`, at);
      tokens.push({ kind: 'number', value, at });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_]\w*/.exec(source.slice(i, i + 256))!;
      const word = match[0];
      if (word === 'true' || word === 'false') tokens.push({ kind: 'bool', value: word === 'true', at });
      else if (word === 'nil') tokens.push({ kind: 'nil', at });
      else tokens.push({ kind: KEYWORDS.has(word) ? 'keyword' : 'ident', value: word, at });
      i += word.length;
    } else {
      fail(`unexpected ${JSON.stringify(ch)} in action`, at);
    }
    // A field chain may follow a variable, a parenthesis or another field: `$x.A.B`, `(f).A`.
    while (source[i] === '.' && /[A-Za-z_]/.test(source[i + 1] ?? '')) {
      const last = tokens[tokens.length - 1]!;
      if (last.kind !== 'var' && last.kind !== ')' && last.kind !== 'field') break;
      const match = /^\.[A-Za-z_]\w*/.exec(source.slice(i, i + 256))!;
      tokens.push({ kind: 'field', value: match[0].slice(1), at: i, chained: true });
      i += match[0].length;
    }
  }
}
