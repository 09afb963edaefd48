/**
 * The small expression language of Traefik's oxy-based middlewares (vulcand/predicate): function
 * calls compared with numbers or quoted strings (`==`, `!=`, `<`, `>`, `<=`, `>=`), combined with
 * `&&` (binding tighter), `||` and parentheses; a yes/no function may stand alone. Each middleware
 * names its functions (`circuitBreaker.expression`, `buffering.retryExpression`); an expression
 * is compiled once into a predicate over that middleware's facts, and a fault is an Error naming
 * its position.
 */

/** A function the expression may call, over facts of type `F`. */
export interface PredicateFunction<F> {
  /** How many numeric arguments it takes. */
  readonly arity: number;
  /** What it is compared with: a number, a quoted string, or nothing (a yes/no function stands alone). */
  readonly type: 'number' | 'string' | 'boolean';
  /** The call with its arguments (checked here; throw to refuse them) as a function of the facts. */
  build(args: number[]): (facts: F) => number | string | boolean;
}

/** The functions of one language, by lower-case name, and how to list them in an error. */
export interface PredicateLanguage<F> {
  readonly functions: Readonly<Record<string, PredicateFunction<F>>>;
  /** `NetworkErrorRatio, ResponseCodeRatio or LatencyAtQuantileMS`, for "expected …". */
  readonly expected: string;
}

/** A compiled expression. */
export type Predicate<F> = (facts: F) => boolean;

const COMPARE: Record<string, (a: number | string, b: number | string) => boolean> = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?|\.\d+)|"([^"\\]*)"|`([^`]*)`|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||>=|<=|==|!=|[><(),]))/y;

interface Token {
  kind: 'number' | 'string' | 'name' | 'op';
  text: string;
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const rest = source.slice(at);
    if (rest.trim() === '') break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(source);
    if (m === null) throw new Error(`unexpected character at position ${at + (rest.length - rest.trimStart().length)}`);
    const start = m.index + m[0].length - m[0].trimStart().length;
    if (m[1] !== undefined) tokens.push({ kind: 'number', text: m[1], at: start });
    else if (m[2] !== undefined || m[3] !== undefined)
      tokens.push({ kind: 'string', text: (m[2] ?? m[3]) as string, at: start });
    else if (m[4] !== undefined) tokens.push({ kind: 'name', text: m[4], at: start });
    else tokens.push({ kind: 'op', text: m[5] as string, at: start });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Compiles `source` in `language`; throws an Error naming the position of the fault. */
export function compilePredicate<F>(source: string, language: PredicateLanguage<F>): Predicate<F> {
  const tokens = tokenize(source);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const fail = (what: string): never => {
    const token = tokens[i];
    throw new Error(`${what} at position ${token === undefined ? source.length : token.at}`);
  };
  const expect = (text: string): void => {
    if (peek()?.text !== text) fail(`expected "${text}"`);
    i++;
  };
  const number = (): number => {
    const token = peek();
    if (token?.kind !== 'number') return fail('expected a number');
    i++;
    return Number(token.text);
  };

  const or = (): Predicate<F> => {
    let left = and();
    while (peek()?.text === '||') {
      i++;
      const l = left;
      const r = and();
      left = (f) => l(f) || r(f);
    }
    return left;
  };
  const and = (): Predicate<F> => {
    let left = primary();
    while (peek()?.text === '&&') {
      i++;
      const l = left;
      const r = primary();
      left = (f) => l(f) && r(f);
    }
    return left;
  };
  const primary = (): Predicate<F> => {
    if (peek()?.text === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    const { name, fn, value } = call();
    const op = peek();
    const compare = op !== undefined && op.kind === 'op' ? COMPARE[op.text] : undefined;
    if (fn.type === 'boolean') {
      if (compare !== undefined) fail(`${name}() is compared with nothing: use it alone`);
      return (f) => value(f) === true;
    }
    if (compare === undefined) return fail('expected a comparison (>, <, >=, <=, ==, !=)');
    i++;
    if (fn.type === 'string') {
      const operand = peek();
      if (operand?.kind !== 'string') return fail('expected a quoted string');
      i++;
      return (f) => compare(value(f) as string, operand.text);
    }
    const threshold = number();
    return (f) => compare(value(f) as number, threshold);
  };
  const call = () => {
    const token = peek();
    if (token?.kind !== 'name') return fail(`expected ${language.expected}`);
    const fn = language.functions[token.text.toLowerCase()];
    if (fn === undefined) return fail(`unknown function "${token.text}"`);
    i++;
    expect('(');
    const args: number[] = [];
    while (peek() !== undefined && peek()?.text !== ')') {
      if (args.length > 0) expect(',');
      args.push(number());
    }
    expect(')');
    if (args.length !== fn.arity) {
      i--;
      fail(`${token.text} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, got ${args.length}`);
    }
    return { name: token.text, fn, value: fn.build(args) };
  };

  if (tokens.length === 0) throw new Error('empty expression');
  const predicate = or();
  if (i < tokens.length) fail('unexpected token');
  return predicate;
}
