/**
 * Translates RE2 (Go `regexp`) syntax into an equivalent JavaScript RegExp, because Traefik rules
 * use Go regexps and users copy them verbatim. Every construct is rewritten explicitly rather than
 * passed through, since the two dialects differ in quiet ways: Go's `.` excludes only '\n', its
 * `\s`/`\w` are ASCII, `]` first in a class is a literal, `{` that starts no repeat is a literal.
 * Constructs RE2 rejects (backreferences, lookarounds) are rejected here too, and so are the flag
 * changes JavaScript cannot express on Node 20 (a case-insensitivity switch after the start).
 */
import {
  type CodeRange,
  classLiteral,
  complement,
  PERL_CLASSES,
  POSIX_CLASSES,
  patternLiteral,
  rangesSource,
} from './re2-classes.js';

/** A regexp that RE2 would reject, or that JavaScript cannot express; `offset` is in the pattern. */
export class Re2SyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'Re2SyntaxError';
    this.offset = offset;
  }
}

/** The JavaScript equivalent of an RE2 pattern. */
export interface TranslatedRegexp {
  source: string;
  flags: string;
}

/** Translates an RE2 pattern; throws Re2SyntaxError. */
export function translateRe2(pattern: string): TranslatedRegexp {
  return new Re2Translator(pattern).translate();
}

/** Translates and compiles an RE2 pattern (unanchored, as in Go); throws Re2SyntaxError. */
export function compileRe2(pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new Re2SyntaxError(`cannot be expressed as a JavaScript regexp: ${(error as Error).message}`, 0);
  }
}

interface Flags {
  /** `m`: ^ and $ match at line boundaries. */
  multiLine: boolean;
  /** `s`: . matches '\n'. */
  dotAll: boolean;
  /** `U`: quantifiers are lazy unless followed by '?'. */
  ungreedy: boolean;
  /** `i`: case-insensitive. */
  foldCase: boolean;
}

/** What precedes the current position, which decides whether a repetition operator is valid. */
type Previous = 'nothing' | 'atom' | 'repetition';

const OCTAL = /[0-7]/;
const HEX_DIGITS = /^[0-9A-Fa-f]+$/;
const CAPTURE_NAME = /^[A-Za-z0-9_]+$/;
const JS_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };

class Re2Translator {
  private pos = 0;
  private out = '';
  private flags: Flags = { multiLine: false, dotAll: false, ungreedy: false, foldCase: false };
  private previous: Previous = 'nothing';
  private readonly groups: Array<{ start: number; saved: Flags }> = [];
  private readonly names = new Set<string>();

  constructor(private readonly pattern: string) {}

  translate(): TranslatedRegexp {
    const globalCase = this.leadingCaseFlag();
    this.flags.foldCase = globalCase;
    while (this.pos < this.pattern.length) this.step();
    const open = this.groups.at(-1);
    if (open !== undefined) throw new Re2SyntaxError('missing closing )', open.start);
    return { source: this.out, flags: globalCase ? 'iu' : 'u' };
  }

  /** A leading `(?i)` (possibly with other flags) becomes the JavaScript `i` flag for the whole pattern. */
  private leadingCaseFlag(): boolean {
    const leading = /^\(\?([imsU]*)\)/.exec(this.pattern);
    return leading !== null && leading[1]!.includes('i');
  }

  private step(): void {
    const p = this.pattern;
    const ch = p[this.pos]!;
    switch (ch) {
      case '(': {
        this.openGroup();
        return;
      }
      case ')': {
        this.closeGroup();
        return;
      }
      case '|':
        this.pos++;
        this.emit('|', 'nothing');
        return;
      case '*':
      case '+':
      case '?': {
        this.repetition(ch, this.pos + 1);
        return;
      }
      case '{': {
        const braces = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.pos));
        if (braces === null) break;
        const min = Number(braces[1]);
        const max = braces[2] === undefined ? min : braces[3] === '' ? Number.POSITIVE_INFINITY : Number(braces[3]);
        if (min > 1000 || (max !== Number.POSITIVE_INFINITY && (max > 1000 || max < min))) {
          throw new Re2SyntaxError(`invalid repeat count ${braces[0]}`, this.pos);
        }
        this.repetition(braces[0], this.pos + braces[0].length);
        return;
      }
      case '^':
        this.pos++;
        this.emit(this.flags.multiLine ? '(?:^|(?<=\\n))' : '(?:^)', 'atom');
        return;
      case '$':
        this.pos++;
        this.emit(this.flags.multiLine ? '(?:$|(?=\\n))' : '(?:$)', 'atom');
        return;
      case '.':
        this.pos++;
        this.emit(this.flags.dotAll ? '[^]' : '[^\\n]', 'atom');
        return;
      case '[': {
        this.characterClass();
        return;
      }
      case '\\': {
        this.escape();
        return;
      }
    }
    const cp = p.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    this.emit(patternLiteral(cp), 'atom');
  }

  private emit(source: string, previous: Previous): void {
    this.out += source;
    this.previous = previous;
  }

  /** `op` is `*`, `+`, `?` or `{n,m}`; `after` is the offset just past it. */
  private repetition(op: string, after: number): void {
    if (this.previous === 'nothing')
      throw new Re2SyntaxError(`missing argument to repetition operator ${op}`, this.pos);
    if (this.previous === 'repetition') throw new Re2SyntaxError(`invalid nested repetition operator ${op}`, this.pos);
    this.pos = after;
    const lazyMark = this.pattern[this.pos] === '?';
    if (lazyMark) this.pos++;
    this.emit(op + (lazyMark !== this.flags.ungreedy ? '?' : ''), 'repetition');
  }

  private openGroup(): void {
    const start = this.pos;
    const rest = this.pattern.slice(start);
    if (!rest.startsWith('(?')) {
      this.pos++;
      this.groups.push({ start, saved: { ...this.flags } });
      this.emit('(', 'nothing');
      return;
    }
    if (/^\(\?(=|!|<=|<!)/.test(rest)) {
      throw new Re2SyntaxError('lookahead and lookbehind assertions are not supported (RE2 syntax)', start);
    }
    if (rest.startsWith('(?P=') || rest.startsWith('(?P>')) {
      throw new Re2SyntaxError('backreferences are not supported (RE2 syntax)', start);
    }
    const named = /^\(\?P?<([^>]*)>/.exec(rest);
    if (named !== null) {
      this.namedGroup(start, named[1]!, named[0].length);
      return;
    }
    this.flagGroup(start);
  }

  private namedGroup(start: number, name: string, length: number): void {
    if (!CAPTURE_NAME.test(name)) throw new Re2SyntaxError(`invalid named capture ${JSON.stringify(name)}`, start);
    if (this.names.has(name)) throw new Re2SyntaxError(`duplicate capture group name ${JSON.stringify(name)}`, start);
    this.names.add(name);
    this.pos = start + length;
    this.groups.push({ start, saved: { ...this.flags } });
    // Names JavaScript cannot take (`1st`) only label a capture; a plain group matches the same.
    this.emit(JS_IDENTIFIER.test(name) ? `(?<${name}>` : '(', 'nothing');
  }

  /** `(?flags)` changes flags until the enclosing group ends; `(?flags:re)` only inside `re`. */
  private flagGroup(start: number): void {
    const flags = { ...this.flags };
    let negate = false;
    let sawFlag = false;
    let i = start + 2;
    for (; i < this.pattern.length; i++) {
      const c = this.pattern[i]!;
      if (c === ':' || c === ')') break;
      if (c === '-' && !negate) {
        negate = true;
        sawFlag = false;
        continue;
      }
      const key = ({ i: 'foldCase', m: 'multiLine', s: 'dotAll', U: 'ungreedy' } as const)[c as 'i'];
      if (key === undefined) throw new Re2SyntaxError('invalid or unsupported Perl syntax', start);
      flags[key] = !negate;
      sawFlag = true;
    }
    const end = this.pattern[i];
    if (end === undefined || (negate && !sawFlag))
      throw new Re2SyntaxError('invalid or unsupported Perl syntax', start);
    const isLeadingDirective = start === 0 && end === ')';
    if (flags.foldCase !== this.flags.foldCase && !isLeadingDirective) {
      throw new Re2SyntaxError('the i flag is only supported for the whole pattern, as a leading (?i)', start);
    }
    this.pos = i + 1;
    if (end === ':') {
      this.groups.push({ start, saved: this.flags });
      this.flags = flags;
      this.emit('(?:', 'nothing');
      return;
    }
    this.flags = flags;
    this.previous = 'nothing';
  }

  private closeGroup(): void {
    const group = this.groups.pop();
    if (group === undefined) throw new Re2SyntaxError('unexpected )', this.pos);
    this.flags = group.saved;
    this.pos++;
    this.emit(')', 'atom');
  }

  private escape(): void {
    const at = this.pos;
    const kind = this.pattern[at + 1];
    if (kind === undefined) throw new Re2SyntaxError('trailing backslash at end of expression', at);
    const assertion = { A: '(?:^)', z: '(?:$)', b: '(?:\\b)', B: '(?:\\B)' }[kind as 'A'];
    if (assertion !== undefined) {
      this.pos += 2;
      this.emit(assertion, 'atom');
      return;
    }
    if (kind === 'Q') {
      this.quotedLiteral();
      return;
    }
    if (kind >= '1' && kind <= '9' && !OCTAL.test(this.pattern[at + 2] ?? '')) {
      throw new Re2SyntaxError(`backreferences are not supported (RE2 syntax): \\${kind}`, at);
    }
    const perl = this.perlClass();
    if (perl !== undefined) {
      this.emit(`[${perl}]`, 'atom');
      return;
    }
    const unicode = this.unicodeClass();
    if (unicode !== undefined) {
      this.emit(unicode, 'atom');
      return;
    }
    this.emit(patternLiteral(this.escapedCodePoint()), 'atom');
  }

  /** `\Q…\E`: everything up to `\E` (or the end) is literal text. */
  private quotedLiteral(): void {
    const from = this.pos + 2;
    const close = this.pattern.indexOf('\\E', from);
    const text = this.pattern.slice(from, close === -1 ? undefined : close);
    this.pos = close === -1 ? this.pattern.length : close + 2;
    for (const ch of text) this.emit(patternLiteral(ch.codePointAt(0)!), 'atom');
  }

  /** `\d \D \s \S \w \W` at the current position as a class body, or undefined. */
  private perlClass(): string | undefined {
    const letter = this.pattern[this.pos + 1]!;
    const ranges = PERL_CLASSES[letter.toLowerCase()];
    if (ranges === undefined) return undefined;
    this.pos += 2;
    return rangesSource(letter === letter.toLowerCase() ? ranges : complement(ranges));
  }

  /** `\pL`, `\p{Greek}`, `\p{^Greek}`, `\P…` at the current position, or undefined. */
  private unicodeClass(): string | undefined {
    const at = this.pos;
    const letter = this.pattern[at + 1];
    if (letter !== 'p' && letter !== 'P') return undefined;
    let name: string;
    if (this.pattern[at + 2] === '{') {
      const close = this.pattern.indexOf('}', at + 3);
      if (close === -1) throw new Re2SyntaxError('invalid character class range (missing })', at);
      name = this.pattern.slice(at + 3, close);
      this.pos = close + 1;
    } else {
      name = this.pattern[at + 2] ?? '';
      this.pos = at + 3;
    }
    let negated = letter === 'P';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    // Go names general categories (`L`, `Lu`) and scripts (`Greek`) alike; JavaScript wants `Script=`.
    const property = /^[A-Z][a-z]?$/.test(name) || name === 'Any' ? name : `Script=${name}`;
    const source = `\\${negated ? 'P' : 'p'}{${property}}`;
    try {
      new RegExp(source, 'u');
    } catch {
      throw new Re2SyntaxError(`invalid character class range: unknown Unicode class ${JSON.stringify(name)}`, at);
    }
    return source;
  }

  /** Reads one single-character escape (`\x41`, `\101`, `\n`, `\.`) and returns its code point. */
  private escapedCodePoint(): number {
    const at = this.pos;
    const p = this.pattern;
    const kind = p[at + 1] ?? '';
    if (kind >= '0' && kind <= '7') {
      let end = at + 2;
      while (end < at + 4 && OCTAL.test(p[end] ?? '')) end++;
      this.pos = end;
      return Number.parseInt(p.slice(at + 1, end), 8);
    }
    if (kind === 'x') return this.hexEscape(at);
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      this.pos = at + 2;
      return simple;
    }
    const cp = kind.charCodeAt(0);
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(kind)) {
      this.pos = at + 2;
      return cp;
    }
    throw new Re2SyntaxError(`invalid escape sequence \\${kind}`, at);
  }

  private hexEscape(at: number): number {
    const p = this.pattern;
    if (p[at + 2] === '{') {
      const close = p.indexOf('}', at + 3);
      const digits = close === -1 ? '' : p.slice(at + 3, close);
      if (!HEX_DIGITS.test(digits) || Number.parseInt(digits, 16) > 0x10ffff) {
        throw new Re2SyntaxError('invalid escape sequence \\x{…}', at);
      }
      this.pos = close + 1;
      return Number.parseInt(digits, 16);
    }
    const digits = p.slice(at + 2, at + 4);
    if (digits.length !== 2 || !HEX_DIGITS.test(digits)) throw new Re2SyntaxError('invalid escape sequence \\x', at);
    this.pos = at + 4;
    return Number.parseInt(digits, 16);
  }

  /** A bracketed class; ']' right after '[' or '[^' is a literal, as in Go. */
  private characterClass(): void {
    const start = this.pos;
    const p = this.pattern;
    this.pos++;
    const negated = p[this.pos] === '^';
    if (negated) this.pos++;
    let body = '';
    let first = true;
    while (true) {
      if (this.pos >= p.length) throw new Re2SyntaxError('missing closing ]', start);
      if (p[this.pos] === ']' && !first) break;
      first = false;
      const named = this.posixClass();
      if (named !== undefined) {
        body += named;
        continue;
      }
      if (p[this.pos] === '\\') {
        const special = this.perlClass() ?? this.unicodeClass();
        if (special !== undefined) {
          body += special;
          continue;
        }
      }
      const rangeStart = this.pos;
      const low = this.classCodePoint();
      if (p[this.pos] === '-' && this.pos + 1 < p.length && p[this.pos + 1] !== ']') {
        this.pos++;
        const high = this.classCodePoint();
        if (high < low) throw new Re2SyntaxError('invalid character class range', rangeStart);
        body += `${classLiteral(low)}-${classLiteral(high)}`;
      } else {
        body += classLiteral(low);
      }
    }
    this.pos++;
    this.emit(`[${negated ? '^' : ''}${body}]`, 'atom');
  }

  /** `[:alpha:]` or `[:^alpha:]` inside a class, as class body; undefined when not one. */
  private posixClass(): string | undefined {
    const p = this.pattern;
    if (!p.startsWith('[:', this.pos)) return undefined;
    const close = p.indexOf(':]', this.pos + 2);
    if (close === -1) return undefined;
    const spec = p.slice(this.pos + 2, close);
    const negated = spec.startsWith('^');
    const ranges: readonly CodeRange[] | undefined = POSIX_CLASSES[negated ? spec.slice(1) : spec];
    if (ranges === undefined) throw new Re2SyntaxError(`invalid character class range [:${spec}:]`, this.pos);
    this.pos = close + 2;
    return rangesSource(negated ? complement(ranges) : ranges);
  }

  private classCodePoint(): number {
    if (this.pattern[this.pos] === '\\') return this.escapedCodePoint();
    const cp = this.pattern.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }
}
