/**
 * The buffering middleware's `retryExpression` (Traefik, through oxy's buffer): whether a
 * buffered exchange is replayed, from `Attempts()` (tries so far, the first counted),
 * `ResponseCode()` (the answer's status), `IsNetworkError()` (the answer is a 502 or 504, the
 * proxy's own transport failures) and `RequestMethod()`, compared with numbers or quoted strings
 * (`==`, `!=`, `<`, `>`, `<=`, `>=`) and combined with `&&`, `||` and parentheses, e.g.
 * `IsNetworkError() && Attempts() < 2`, in the language of predicate-expression.ts.
 */
import { compilePredicate, type PredicateLanguage } from './predicate-expression.js';

/** What an expression can ask about the exchange that just ended. */
export interface ReplayFacts {
  readonly attempts: number;
  readonly responseCode: number;
  readonly method: string;
}

/** A compiled expression. */
export type ReplayPredicate = (facts: ReplayFacts) => boolean;

const RETRY_LANGUAGE: PredicateLanguage<ReplayFacts> = {
  functions: {
    attempts: { arity: 0, type: 'number', build: () => (f) => f.attempts },
    responsecode: { arity: 0, type: 'number', build: () => (f) => f.responseCode },
    isnetworkerror: { arity: 0, type: 'boolean', build: () => (f) => f.responseCode === 502 || f.responseCode === 504 },
    requestmethod: { arity: 0, type: 'string', build: () => (f) => f.method },
  },
  expected: 'Attempts(), ResponseCode(), IsNetworkError() or RequestMethod()',
};

/** Compiles an expression; throws an Error naming the position of the fault. */
export function compileReplayExpression(source: string): ReplayPredicate {
  return compilePredicate(source, RETRY_LANGUAGE);
}
