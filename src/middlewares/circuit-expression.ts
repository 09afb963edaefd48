/**
 * The circuitBreaker expression language (Traefik/oxy): metric calls compared with numbers,
 * combined with `&&`, `||` and parentheses, e.g.
 * `NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100`. Compiled once into a
 * predicate over a metrics snapshot.
 */

/** What an expression can ask about the recent traffic. */
export interface CircuitMetrics {
  /** Share of requests answered 502 or 504 (the proxy's own transport failures). */
  networkErrorRatio(): number;
  /** Requests with a status in [from, to) divided by those in [dividendFrom, dividendTo). */
  responseCodeRatio(from: number, to: number, dividendFrom: number, dividendTo: number): number;
  /** Latency at quantile `q` (0–100) in milliseconds. */
  latencyAtQuantileMS(q: number): number;
}

/** A compiled expression. */
export type CircuitPredicate = (metrics: CircuitMetrics) => boolean;

type Value = (metrics: CircuitMetrics) => number;

const FUNCTIONS: Record<string, { arity: number; build: (args: number[]) => Value }> = {
  networkerrorratio: { arity: 0, build: () => (m) => m.networkErrorRatio() },
  responsecoderatio: {
    arity: 4,
    build:
      ([a, b, c, d]) =>
      (m) =>
        m.responseCodeRatio(a as number, b as number, c as number, d as number),
  },
  latencyatquantilems: {
    arity: 1,
    build: ([q]) => {
      if ((q as number) <= 0 || (q as number) > 100) throw new Error(`quantile must be in (0, 100], got ${q}`);
      return (m) => m.latencyAtQuantileMS(q as number);
    },
  },
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

const TOKEN = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||>=|<=|==|!=|[><(),]))/y;

interface Token {
  kind: 'number' | 'name' | 'op';
  text: string;
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(source);
    if (m === null)
      throw new Error(
        `unexpected character at position ${at + (source.slice(at).length - source.slice(at).trimStart().length)}`,
      );
    const text = (m[1] ?? m[2] ?? m[3]) as string;
    tokens.push({
      kind: m[1] !== undefined ? 'number' : m[2] !== undefined ? 'name' : 'op',
      text,
      at: m.index + m[0].length - text.length,
    });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Compiles an expression; throws an Error naming the position of the fault. */
export function compileCircuitExpression(source: string): CircuitPredicate {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    const token = tokens[i];
    throw new Error(`${what} at position ${token === undefined ? source.length : token.at}`);
  };
  const expect = (text: string) => {
    if (peek()?.text !== text) fail(`expected "${text}"`);
    i++;
  };

  const or = (): CircuitPredicate => {
    let left = and();
    while (peek()?.text === '||') {
      i++;
      const l = left;
      const r = and();
      left = (m) => l(m) || r(m);
    }
    return left;
  };
  const and = (): CircuitPredicate => {
    let left = primary();
    while (peek()?.text === '&&') {
      i++;
      const l = left;
      const r = primary();
      left = (m) => l(m) && r(m);
    }
    return left;
  };
  const primary = (): CircuitPredicate => {
    if (peek()?.text === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    const value = call();
    const op = peek();
    const compare = op !== undefined && op.kind === 'op' ? COMPARE[op.text] : undefined;
    if (compare === undefined) return fail('expected a comparison (>, <, >=, <=, ==, !=)');
    i++;
    const threshold = number();
    return (m) => compare(value(m), threshold);
  };
  const call = (): Value => {
    const name = peek();
    if (name?.kind !== 'name') return fail('expected NetworkErrorRatio, ResponseCodeRatio or LatencyAtQuantileMS');
    const fn = FUNCTIONS[name.text.toLowerCase()];
    if (fn === undefined) return fail(`unknown function "${name.text}"`);
    i++;
    expect('(');
    const args: number[] = [];
    while (peek()?.text !== ')') {
      if (args.length > 0) expect(',');
      args.push(number());
    }
    expect(')');
    if (args.length !== fn.arity) {
      i--;
      fail(`${name.text} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, got ${args.length}`);
    }
    return fn.build(args);
  };
  const number = (): number => {
    const token = peek();
    if (token?.kind !== 'number') return fail('expected a number');
    i++;
    return Number(token.text);
  };

  if (tokens.length === 0) throw new Error('empty expression');
  const predicate = or();
  if (i < tokens.length) fail('unexpected token');
  return predicate;
}
