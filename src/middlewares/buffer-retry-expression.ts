/**
 * The buffering middleware's `retryExpression` (Traefik, through oxy's buffer): whether a
 * buffered exchange is replayed, from `Attempts()` (tries so far, the first counted),
 * `ResponseCode()` (the answer's status), `IsNetworkError()` (the answer is a 502 or 504, the
 * proxy's own transport failures) and `RequestMethod()`, compared with numbers or quoted strings
 * (`==`, `!=`, `<`, `>`, `<=`, `>=`) and combined with `&&`, `||` and parentheses, e.g.
 * `IsNetworkError() && Attempts() < 2`. Compiled once into a predicate.
 */

/** What an expression can ask about the exchange that just ended. */
export interface ReplayFacts {
  readonly attempts: number;
  readonly responseCode: number;
  readonly method: string;
}

/** A compiled expression. */
export type ReplayPredicate = (facts: ReplayFacts) => boolean;

type Value = (facts: ReplayFacts) => number | string | boolean;

const FUNCTIONS: Record<string, Value> = {
  attempts: (f) => f.attempts,
  responsecode: (f) => f.responseCode,
  isnetworkerror: (f) => f.responseCode === 502 || f.responseCode === 504,
  requestmethod: (f) => f.method,
};

const COMPARE: Record<string, (a: number | string, b: number | string) => boolean> = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

const TOKEN = /\s*(?:(\d+)|"([^"\\]*)"|`([^`]*)`|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||>=|<=|==|!=|[><()]))/y;

interface Token {
  kind: 'number' | 'string' | 'name' | 'op';
  text: string;
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    if (source.slice(at).trim() === '') break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(source);
    if (m === null)
      throw new Error(
        `unexpected character at position ${at + (source.length - at - source.slice(at).trimStart().length)}`,
      );
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

/** Compiles an expression; throws an Error naming the position of the fault. */
export function compileReplayExpression(source: string): ReplayPredicate {
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

  const or = (): ReplayPredicate => {
    let left = and();
    while (peek()?.text === '||') {
      i++;
      const l = left;
      const r = and();
      left = (f) => l(f) || r(f);
    }
    return left;
  };
  const and = (): ReplayPredicate => {
    let left = primary();
    while (peek()?.text === '&&') {
      i++;
      const l = left;
      const r = primary();
      left = (f) => l(f) && r(f);
    }
    return left;
  };
  const primary = (): ReplayPredicate => {
    if (peek()?.text === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    const name = peek();
    const value = call();
    const op = peek();
    const compare = op !== undefined && op.kind === 'op' ? COMPARE[op.text] : undefined;
    if (compare === undefined) {
      // A function that answers yes or no stands on its own.
      if (name?.text.toLowerCase() === 'isnetworkerror') return (f) => value(f) === true;
      return fail('expected a comparison (>, <, >=, <=, ==, !=)');
    }
    if (name?.text.toLowerCase() === 'isnetworkerror') {
      return fail('IsNetworkError() is compared with nothing: use it alone');
    }
    i++;
    const operand = peek();
    const wantsString = name?.text.toLowerCase() === 'requestmethod';
    if (operand?.kind !== (wantsString ? 'string' : 'number')) {
      return fail(wantsString ? 'expected a quoted string' : 'expected a number');
    }
    i++;
    const threshold = wantsString ? operand.text : Number(operand.text);
    return (f) => compare(value(f) as number | string, threshold);
  };
  const call = (): Value => {
    const name = peek();
    if (name?.kind !== 'name') return fail('expected Attempts(), ResponseCode(), IsNetworkError() or RequestMethod()');
    const fn = FUNCTIONS[name.text.toLowerCase()];
    if (fn === undefined) return fail(`unknown function "${name.text}"`);
    i++;
    expect('(');
    expect(')');
    return fn;
  };

  if (tokens.length === 0) throw new Error('empty expression');
  const predicate = or();
  if (i < tokens.length) fail('unexpected token');
  return predicate;
}
