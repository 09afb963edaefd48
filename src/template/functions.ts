/**
 * The shape of a template function, and the helpers that check arguments. A function declares
 * its arity; the executor checks it and reports Go's "wrong number of args" with the position.
 */

/** A template function: `run` takes evaluated arguments; throwing an Error fails the render there. */
export interface TemplateFunction {
  /** Least and most arguments (`Infinity` for variadic). */
  arity: readonly [number, number];
  run: (args: unknown[]) => unknown;
}

/** The functions a template may call, by name. */
export type FunctionMap = Readonly<Record<string, TemplateFunction>>;

/** A function of exactly `n` arguments. */
export function fixed(n: number, run: (args: unknown[]) => unknown): TemplateFunction {
  return { arity: [n, n], run };
}

/** A function of at least `min` arguments. */
export function variadic(min: number, run: (args: unknown[]) => unknown): TemplateFunction {
  return { arity: [min, Number.POSITIVE_INFINITY], run };
}

/** The most elements a function may build (`until`, `seq`, `repeat`…): a template cannot eat the memory. */
export const MAX_GENERATED = 100_000;

/** Throws when a generated list or string would pass MAX_GENERATED. */
export function checkSize(size: number, what: string): void {
  if (!(size <= MAX_GENERATED))
    throw new Error(`${what} would make ${size} elements, over the limit of ${MAX_GENERATED}`);
}
