/**
 * Recursive-descent parser for rules. Precedence is Go's, since Traefik parses rules as Go
 * expressions: `||` lowest, then `&&`, then prefix `!`; parentheses group. Matcher names and
 * argument counts are checked here, so every syntax error carries the offset of its fault.
 */
import { RuleSyntaxError } from '../errors.js';
import type { MatcherNode, RuleNode } from './ast.js';
import { type Token, tokenize } from './lexer.js';
import { findMatcher, MATCHERS } from './matchers.js';

/** The matcher names and arities a parser accepts: HTTP's by default, the TCP set for TCP routers. */
export interface MatcherSet {
  /** The definition for a name as written (an accepted spelling), or undefined. */
  find(spelling: string): { readonly name: string; readonly arity: readonly number[] } | undefined;
  /** Canonical names, for the error that suggests a spelling. */
  readonly names: Iterable<string>;
}

/** The HTTP matchers (Host, Path, …). */
export const HTTP_MATCHERS: MatcherSet = { find: findMatcher, names: [...MATCHERS.keys()] };

/**
 * The spellings Traefik accepts for each canonical name: exact, lower, UPPER and Title of the
 * lower form; a lookup over them.
 */
export function matcherSet<D extends { readonly name: string; readonly arity: readonly number[] }>(
  definitions: readonly D[],
): MatcherSet & { find(spelling: string): D | undefined } {
  const spellings = new Map<string, D>();
  for (const definition of definitions) {
    const lower = definition.name.toLowerCase();
    const title = lower[0]!.toUpperCase() + lower.slice(1);
    for (const s of [definition.name, lower, definition.name.toUpperCase(), title]) spellings.set(s, definition);
  }
  return { find: (spelling) => spellings.get(spelling), names: definitions.map((d) => d.name) };
}

/** Parses a rule into its tree; throws RuleSyntaxError with the 0-based offset of the fault. */
export function parseRule(rule: string, matchers: MatcherSet = HTTP_MATCHERS): RuleNode {
  return new Parser(rule, matchers).parseWhole();
}

/** Names Traefik v2 had and v3 dropped, so the error can say what to write instead. */
const V2_NAMES: Readonly<Record<string, string>> = {
  headers: 'Header',
  headersregexp: 'HeaderRegexp',
  hostheader: 'Host',
};

const EXPECTED_OPERAND = 'a matcher, "!" or "("';

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    private readonly rule: string,
    private readonly matchers: MatcherSet,
  ) {
    this.tokens = tokenize(rule);
  }

  parseWhole(): RuleNode {
    if (this.peek().kind === 'eof') throw new RuleSyntaxError('empty rule', this.rule, 0);
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') {
      const what = rest.kind === ')' ? "unbalanced ')'" : `unexpected ${this.describe(rest)}`;
      throw new RuleSyntaxError(`${what}; expected "&&", "||" or the end of the rule`, this.rule, rest.start);
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private describe(token: Token): string {
    if (token.kind === 'eof') return 'end of rule';
    if (token.kind === 'string') return 'string';
    if (token.kind === 'ident') return `identifier ${token.value}`;
    return `"${token.kind}"`;
  }

  private parseOr(): RuleNode {
    return this.parseChain('||', 'or', () => this.parseAnd());
  }

  private parseAnd(): RuleNode {
    return this.parseChain('&&', 'and', () => this.parseUnary());
  }

  /** Parses `operand (op operand)*`, flattening a chain into one n-ary node. */
  private parseChain(op: '&&' | '||', kind: 'and' | 'or', operand: () => RuleNode): RuleNode {
    const first = operand();
    if (this.peek().kind !== op) return first;
    const children = [first];
    while (this.peek().kind === op) {
      this.next();
      children.push(operand());
    }
    return { kind, children, start: first.start, end: children.at(-1)!.end };
  }

  private parseUnary(): RuleNode {
    const token = this.peek();
    if (token.kind === '!') {
      this.next();
      const child = this.parseUnary();
      return { kind: 'not', child, start: token.start, end: child.end };
    }
    if (token.kind === '(') {
      this.next();
      const inner = this.parseOr();
      const close = this.next();
      if (close.kind !== ')') {
        const problem =
          close.kind === 'eof' ? `missing ')' for '(' at ${token.start}` : `unexpected ${this.describe(close)}`;
        throw new RuleSyntaxError(`${problem}; expected ')'`, this.rule, close.start);
      }
      // The span covers the parentheses, so the node's text reads as written.
      return { ...inner, start: token.start, end: close.end };
    }
    if (token.kind === 'ident') return this.parseMatcher();
    throw new RuleSyntaxError(`expected ${EXPECTED_OPERAND}, found ${this.describe(token)}`, this.rule, token.start);
  }

  private parseMatcher(): MatcherNode {
    const nameToken = this.next();
    const definition = this.matchers.find(nameToken.value);
    if (definition === undefined) {
      throw new RuleSyntaxError(this.unknownMatcherMessage(nameToken.value), this.rule, nameToken.start);
    }
    const open = this.next();
    if (open.kind !== '(') {
      throw new RuleSyntaxError(`expected "(" after ${nameToken.value}`, this.rule, open.start);
    }
    const args: string[] = [];
    const argStarts: number[] = [];
    // Go call syntax: comma-separated, and a trailing comma before ')' is allowed.
    while (this.peek().kind !== ')') {
      const arg = this.next();
      if (arg.kind !== 'string') {
        const what = `${this.describe(arg)} in arguments of ${definition.name}`;
        throw new RuleSyntaxError(`unexpected ${what}; arguments are quoted strings`, this.rule, arg.start);
      }
      if (arg.value === '') throw new RuleSyntaxError(`empty argument to ${definition.name}`, this.rule, arg.start);
      args.push(arg.value);
      argStarts.push(arg.start);
      const separator = this.peek();
      if (separator.kind === ',') this.next();
      else if (separator.kind !== ')') {
        throw new RuleSyntaxError(
          `expected "," or ")" but found ${this.describe(separator)}`,
          this.rule,
          separator.start,
        );
      }
    }
    const close = this.next();
    if (!definition.arity.includes(args.length)) {
      const expected = definition.arity.join(' or ');
      const at = args.length > Math.max(...definition.arity) ? argStarts[Math.max(...definition.arity)]! : close.start;
      const message = `${definition.name} takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}`;
      throw new RuleSyntaxError(message, this.rule, at);
    }
    return { kind: 'matcher', name: definition.name, args, argStarts, start: nameToken.start, end: close.end };
  }

  private unknownMatcherMessage(name: string): string {
    const lower = name.toLowerCase();
    const v2 = V2_NAMES[lower];
    if (v2 !== undefined) return `unknown matcher ${name} (a Traefik v2 name; v3 uses ${v2})`;
    const canonical = [...this.matchers.names].find((known) => known.toLowerCase() === lower);
    if (canonical === undefined) return `unknown matcher ${name}`;
    const title = lower[0]!.toUpperCase() + lower.slice(1);
    return `unknown matcher ${name}; accepted spellings are ${canonical}, ${lower}, ${lower.toUpperCase()} and ${title}`;
  }
}
