/**
 * Splits a rule into tokens. The token set is the subset of Go expression syntax Traefik accepts:
 * identifiers, string literals, parentheses, commas and the three logical operators.
 */
import { RuleSyntaxError } from '../errors.js';
import { readInterpretedString, readRawString } from './go-string.js';

/** The kinds of token a rule is made of. */
export type TokenKind = 'ident' | 'string' | '(' | ')' | ',' | '&&' | '||' | '!' | 'eof';

/** One token with its 0-based offsets in the rule. */
export interface Token {
  kind: TokenKind;
  /** Identifier name or decoded string value; '' for punctuation. */
  value: string;
  start: number;
  end: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const WHITESPACE = ' \t\r\n';

/** Tokenises a whole rule, ending with an `eof` token; throws RuleSyntaxError on a bad character. */
export function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const ch = rule[i]!;
    if (WHITESPACE.includes(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '`' || ch === '"') {
      const literal = ch === '`' ? readRawString(rule, i) : readInterpretedString(rule, i);
      tokens.push({ kind: 'string', value: literal.value, start, end: literal.end });
      i = literal.end;
    } else if (IDENT_START.test(ch)) {
      while (i < rule.length && IDENT_PART.test(rule[i]!)) i++;
      tokens.push({ kind: 'ident', value: rule.slice(start, i), start, end: i });
    } else if (ch === '(' || ch === ')' || ch === ',' || ch === '!') {
      tokens.push({ kind: ch, value: '', start, end: ++i });
    } else if ((ch === '&' || ch === '|') && rule[i + 1] === ch) {
      i += 2;
      tokens.push({ kind: ch === '&' ? '&&' : '||', value: '', start, end: i });
    } else {
      throw new RuleSyntaxError(describeBadCharacter(ch), rule, i);
    }
  }
  tokens.push({ kind: 'eof', value: '', start: rule.length, end: rule.length });
  return tokens;
}

/** Says what is wrong with a character no token starts with, and what to write instead. */
function describeBadCharacter(ch: string): string {
  if (ch === "'") return 'single quotes are not allowed; quote values with backticks or double quotes';
  if (ch === '&') return "unexpected '&'; the AND operator is '&&'";
  if (ch === '|') return "unexpected '|'; the OR operator is '||'";
  return `unexpected character ${JSON.stringify(ch)}`;
}
