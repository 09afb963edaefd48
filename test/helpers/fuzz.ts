/**
 * fast-check runs for the fuzz tests. `FUZZ_RUNS` sets the number of runs; fast-check prints the
 * seed and the path of a failure, to replay with `FUZZ_SEED=<seed> FUZZ_PATH=<path>`.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** The number of runs: `FUZZ_RUNS`, or `fallback`. */
export function fuzzRuns(fallback: number): number {
  return Number(process.env.FUZZ_RUNS ?? fallback);
}

/** Replays a reported failure when `FUZZ_SEED` / `FUZZ_PATH` are set. */
function replay(): { seed?: number; path?: string } {
  return {
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
    ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
  };
}

/** Fails with fast-check's report and the failing assertion's own message (the TAP reporter hides `cause`). */
function report<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  assert.fail(`${fc.defaultReportMessage(details)}\n\nFailure: ${cause.slice(0, 2000)}`);
}

/** Like fc.assert, with the failing assertion's message in the error. */
export function fuzz<T extends [unknown, ...unknown[]]>(property: fc.IProperty<T>, numRuns: number): void {
  report(fc.check(property, { numRuns, ...replay() }));
}

/** `fuzz` for an asynchronous property. */
export async function fuzzAsync<T extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<T>,
  numRuns: number,
): Promise<void> {
  report(await fc.check(property, { numRuns, ...replay() }));
}
