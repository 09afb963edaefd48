/**
 * Highest random weight (rendezvous hashing) on the client IP: every (client, server) pair gets a
 * pseudo-random score and the client goes to its highest-scoring available server. A client
 * keeps its server while that server is up, and when a server leaves only its own clients move.
 * Weighted with the logarithmic method, so a weight-2 server gets twice the clients.
 */
import { type Avoid, type Candidate, eligible, type Strategy } from './strategy.js';

/** 32-bit FNV-1a of a string (the client IP); cheap and allocation-free. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes two 32-bit values into a well-spread 32-bit value (murmur3's finaliser). */
function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Rendezvous hashing over a fixed list of candidates, keyed by client IP. */
export class HighestRandomWeight<C extends Candidate> implements Strategy<C> {
  /** Per-candidate seeds, fixed at build time from the candidate's identity. */
  private readonly seeds: Uint32Array;

  constructor(private readonly candidates: readonly C[]) {
    this.seeds = new Uint32Array(candidates.map((c) => fnv1a(c.key)));
  }

  next(now: number, clientIp: string, avoid: Avoid = null): C | undefined {
    const key = fnv1a(clientIp);
    const picked = this.pick(now, key, avoid);
    return picked === undefined && avoid !== null ? this.pick(now, key, null) : picked;
  }

  private pick(now: number, key: number, avoid: Avoid): C | undefined {
    const candidates = this.candidates;
    let best: C | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i] as C;
      if (!eligible(candidate, now, avoid)) continue;
      // (h + 1) / 2^32 is in (0, 1]; -w / ln(u) orders servers so each wins in proportion to w.
      const unit = (mix(key, this.seeds[i] as number) + 1) / 4294967296;
      const score = unit === 1 ? Number.POSITIVE_INFINITY : -candidate.weight / Math.log(unit);
      if (score > bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    return best;
  }
}
