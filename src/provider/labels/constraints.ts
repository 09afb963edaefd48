/**
 * `providers.docker.constraints`: an expression over a container's labels deciding whether the
 * provider considers it at all, e.g. ``Label(`env`,`prod`) && !LabelRegex(`team`,`^ops-`)``.
 * Same lexical rules as router rules (Go string literals, `&&` over `||`, `!`, parentheses), so
 * the rule lexer is reused; the matchers are `Label` (exact value) and `LabelRegex` (RE2, unanchored).
 */
import { ConfigError } from '../../errors.js';
import { type Token, tokenize } from '../../rules/lexer.js';
import { compileRe2 } from '../../rules/re2.js';

/** A compiled constraints expression: true when a container with these labels is kept. */
export type ConstraintPredicate = (labels: Record<string, string>) => boolean;

const LOCATION = 'providers.docker.constraints';

/** Compiles a constraints expression; an empty one keeps everything. Throws ConfigError on a fault. */
export function compileConstraints(expression: string | undefined): ConstraintPredicate {
  if (expression === undefined || expression.trim() === '') return () => true;
  let tokens: Token[];
  try {
    tokens = tokenize(expression);
  } catch (error) {
    throw new ConfigError(`invalid constraints: ${(error as Error).message}`, LOCATION, error);
  }
  return new ConstraintParser(expression, tokens).parseWhole();
}

class ConstraintParser {
  private index = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: Token[],
  ) {}

  parseWhole(): ConstraintPredicate {
    const predicate = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') this.fail(`unexpected ${this.describe(rest)}`, rest);
    return predicate;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private describe(token: Token): string {
    if (token.kind === 'eof') return 'end of expression';
    return token.kind === 'ident' || token.kind === 'string' ? JSON.stringify(token.value) : `"${token.kind}"`;
  }

  private fail(message: string, token: Token): never {
    throw new ConfigError(
      `invalid constraints ${JSON.stringify(this.expression)}: ${message} at position ${token.start}`,
      LOCATION,
    );
  }

  private expect(kind: Token['kind']): Token {
    const token = this.next();
    if (token.kind !== kind) this.fail(`expected "${kind}", got ${this.describe(token)}`, token);
    return token;
  }

  private parseOr(): ConstraintPredicate {
    const parts = [this.parseAnd()];
    while (this.peek().kind === '||') {
      this.next();
      parts.push(this.parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (labels) => parts.some((p) => p(labels));
  }

  private parseAnd(): ConstraintPredicate {
    const parts = [this.parseUnary()];
    while (this.peek().kind === '&&') {
      this.next();
      parts.push(this.parseUnary());
    }
    return parts.length === 1 ? parts[0]! : (labels) => parts.every((p) => p(labels));
  }

  private parseUnary(): ConstraintPredicate {
    const token = this.next();
    if (token.kind === '!') {
      const inner = this.parseUnary();
      return (labels) => !inner(labels);
    }
    if (token.kind === '(') {
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    if (token.kind === 'ident') return this.parseMatcher(token);
    return this.fail(`expected Label(…), LabelRegex(…), "!" or "(", got ${this.describe(token)}`, token);
  }

  private parseMatcher(name: Token): ConstraintPredicate {
    if (name.value !== 'Label' && name.value !== 'LabelRegex') {
      this.fail(`unknown matcher ${name.value} (known: Label, LabelRegex)`, name);
    }
    this.expect('(');
    const key = this.expect('string');
    this.expect(',');
    const value = this.expect('string');
    this.expect(')');
    if (name.value === 'Label') return (labels) => labels[key.value] === value.value;
    let regexp: RegExp;
    try {
      regexp = compileRe2(value.value);
    } catch (error) {
      this.fail(`bad regexp ${JSON.stringify(value.value)}: ${(error as Error).message}`, value);
    }
    return (labels) => {
      const actual = labels[key.value];
      if (actual === undefined) return false;
      regexp.lastIndex = 0;
      return regexp.test(actual);
    };
  }
}
