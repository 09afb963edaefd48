/**
 * The strategy registry: `loadBalancer.strategy` names are looked up here, case-insensitively.
 * Adding a strategy is one class and one line.
 */
import { HighestRandomWeight } from './hrw.js';
import { LeastTime } from './leasttime.js';
import { PowerOfTwoChoices } from './p2c.js';
import type { Candidate, Strategy } from './strategy.js';
import { WeightedRoundRobin } from './wrr.js';

type Factory = <C extends Candidate>(candidates: readonly C[]) => Strategy<C>;

/** Strategy factories by lower-case name. */
export const STRATEGIES: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  ['wrr', (candidates) => new WeightedRoundRobin(candidates)],
  ['p2c', (candidates) => new PowerOfTwoChoices(candidates)],
  ['hrw', (candidates) => new HighestRandomWeight(candidates)],
  ['leasttime', (candidates) => new LeastTime(candidates)],
]);

/** Builds the strategy `name` (default wrr) over `candidates`; throws on an unknown name. */
export function createStrategy<C extends Candidate>(name: string | undefined, candidates: readonly C[]): Strategy<C> {
  const factory = STRATEGIES.get((name ?? 'wrr').toLowerCase());
  if (factory === undefined) {
    throw new Error(`unknown load-balancing strategy "${name}" (supported: ${[...STRATEGIES.keys()].join(', ')})`);
  }
  return factory(candidates);
}
