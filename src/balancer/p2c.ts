/**
 * Power of two random choices: draw two distinct available candidates at random (in proportion
 * to their weights) and send the request to the one with fewer requests in flight. It reacts to
 * a slow server within a few requests, without the herd effect of "least loaded of all".
 */
import { type Avoid, type Candidate, eligible, type Strategy } from './strategy.js';

/** Source of randomness in [0, 1); injectable so tests can fix the sequence. */
export type Random = () => number;

/** Power-of-two-choices over a fixed list of candidates. */
export class PowerOfTwoChoices<C extends Candidate> implements Strategy<C> {
  /** Indexes of the eligible candidates for the current pick; reused to avoid allocating. */
  private readonly pool: Int32Array;

  constructor(
    private readonly candidates: readonly C[],
    private readonly random: Random = Math.random,
  ) {
    this.pool = new Int32Array(candidates.length);
  }

  next(now: number, _clientIp = '', avoid: Avoid = null): C | undefined {
    const picked = this.pick(now, avoid);
    return picked === undefined && avoid !== null ? this.pick(now, null) : picked;
  }

  private pick(now: number, avoid: Avoid): C | undefined {
    const candidates = this.candidates;
    const pool = this.pool;
    let count = 0;
    let totalWeight = 0;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i] as C;
      if (!eligible(candidate, now, avoid)) continue;
      pool[count++] = i;
      totalWeight += candidate.weight;
    }
    if (count === 0) return undefined;
    if (count === 1) return candidates[pool[0] as number];
    const first = this.draw(count, totalWeight, -1);
    const second = this.draw(count, totalWeight - (candidates[first] as C).weight, first);
    const a = candidates[first] as C;
    const b = candidates[second] as C;
    return b.load() < a.load() ? b : a;
  }

  /** Draws one pooled candidate index in proportion to weight, excluding `skip`. */
  private draw(count: number, totalWeight: number, skip: number): number {
    const candidates = this.candidates;
    const pool = this.pool;
    let target = this.random() * totalWeight;
    let last = -1;
    for (let k = 0; k < count; k++) {
      const index = pool[k] as number;
      if (index === skip) continue;
      last = index;
      target -= (candidates[index] as C).weight;
      if (target < 0) return index;
    }
    return last;
  }
}
