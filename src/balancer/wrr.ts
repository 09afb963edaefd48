/**
 * Smooth weighted round robin (the nginx algorithm): weights 3:1 give a a b a, not a a a b,
 * so load spreads evenly in time. Unavailable candidates are skipped without disturbing the
 * rotation of the others.
 */
import { type Avoid, type Candidate, eligible, type Strategy } from './strategy.js';

/** Smooth weighted round robin over a fixed list of candidates. */
export class WeightedRoundRobin<C extends Candidate> implements Strategy<C> {
  private readonly current: Float64Array;

  constructor(private readonly candidates: readonly C[]) {
    this.current = new Float64Array(candidates.length);
  }

  next(now: number, _clientIp = '', avoid: Avoid = null): C | undefined {
    const picked = this.pick(now, avoid);
    // Every server to avoid is all there is: trying one again beats failing the request.
    return picked === undefined && avoid !== null ? this.pick(now, null) : picked;
  }

  private pick(now: number, avoid: Avoid): C | undefined {
    const candidates = this.candidates;
    const current = this.current;
    let total = 0;
    let best = -1;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i] as C;
      if (!eligible(candidate, now, avoid)) continue;
      const weight = candidate.weight;
      current[i] = (current[i] as number) + weight;
      total += weight;
      if (best === -1 || (current[i] as number) > (current[best] as number)) best = i;
    }
    if (best === -1) return undefined;
    current[best] = (current[best] as number) - total;
    return candidates[best];
  }
}
