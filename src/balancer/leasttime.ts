/**
 * Least time (Traefik 3.6's `leasttime`): the server with the lowest average time to the first
 * byte of its answer, scaled by the requests it has in flight and divided by its weight:
 * `score = average × (1 + in flight) / weight`. Servers with the same score (all new, or all
 * answering within the same millisecond) share the requests by weighted round robin, the
 * earliest-deadline-first way Traefik breaks the tie. Answer times come from the forwarding
 * engine (response-times.ts); a server never measured scores 0, so it is tried first.
 */
import { type Avoid, type Candidate, eligible, type Strategy } from './strategy.js';

/** Least-time balancing over a fixed list of candidates. */
export class LeastTime<C extends Candidate> implements Strategy<C> {
  /** Per-candidate virtual deadlines for the round robin among ties. */
  private readonly deadlines: Float64Array;
  private latest = 0;

  constructor(private readonly candidates: readonly C[]) {
    this.deadlines = new Float64Array(candidates.length);
    // Staggered start, as Traefik's: each server's first deadline follows the previous one's.
    for (let i = 0; i < candidates.length; i++) {
      const weight = (candidates[i] as C).weight;
      if (weight <= 0) continue;
      this.latest += 1 / weight;
      this.deadlines[i] = this.latest;
    }
  }

  next(now: number, _clientIp = '', avoid: Avoid = null): C | undefined {
    const picked = this.pick(now, avoid);
    return picked === undefined && avoid !== null ? this.pick(now, null) : picked;
  }

  private score(candidate: C): number {
    const average = candidate.responseTime?.() ?? 0;
    return (average * (1 + candidate.load())) / candidate.weight;
  }

  private pick(now: number, avoid: Avoid): C | undefined {
    const candidates = this.candidates;
    let best = -1;
    let bestScore = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i] as C;
      if (!eligible(candidate, now, avoid)) continue;
      const score = this.score(candidate);
      if (score < bestScore) {
        bestScore = score;
        best = i;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
      }
    }
    if (best < 0) return undefined;
    if (ties === 1) return candidates[best];
    // Several share the lowest score: the earliest deadline goes, and moves on by 1/weight.
    const deadlines = this.deadlines;
    let earliest = -1;
    for (let i = best; i < candidates.length; i++) {
      const candidate = candidates[i] as C;
      if (!eligible(candidate, now, avoid) || this.score(candidate) !== bestScore) continue;
      if (earliest < 0 || (deadlines[i] as number) < (deadlines[earliest] as number)) earliest = i;
    }
    const chosen = candidates[earliest] as C;
    const deadline = (deadlines[earliest] as number) + 1 / chosen.weight;
    deadlines[earliest] = deadline;
    if (deadline > this.latest) this.latest = deadline;
    return chosen;
  }
}
