/**
 * The circuitBreaker expression language (Traefik/oxy): metric calls compared with numbers,
 * combined with `&&`, `||` and parentheses, e.g.
 * `NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100`, in the language of
 * predicate-expression.ts, over a metrics snapshot.
 */
import { compilePredicate, type PredicateLanguage } from './predicate-expression.js';

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

const CIRCUIT_LANGUAGE: PredicateLanguage<CircuitMetrics> = {
  functions: {
    networkerrorratio: { arity: 0, type: 'number', build: () => (m) => m.networkErrorRatio() },
    responsecoderatio: {
      arity: 4,
      type: 'number',
      build:
        ([a, b, c, d]) =>
        (m) =>
          m.responseCodeRatio(a as number, b as number, c as number, d as number),
    },
    latencyatquantilems: {
      arity: 1,
      type: 'number',
      build: ([q]) => {
        if ((q as number) <= 0 || (q as number) > 100) throw new Error(`quantile must be in (0, 100], got ${q}`);
        return (m) => m.latencyAtQuantileMS(q as number);
      },
    },
  },
  expected: 'NetworkErrorRatio, ResponseCodeRatio or LatencyAtQuantileMS',
};

/** Compiles an expression; throws an Error naming the position of the fault. */
export function compileCircuitExpression(source: string): CircuitPredicate {
  return compilePredicate(source, CIRCUIT_LANGUAGE);
}
