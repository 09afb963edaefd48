/**
 * Fixed, log-spaced latency buckets shared by every statistics slot. Fixed boundaries make
 * histograms from different workers addable element by element, and a bucket index is one
 * logarithm, so recording costs no allocation and no search.
 */

/** Upper bound of bucket 0, in milliseconds. */
const FIRST_BOUND_MS = 0.05;
/** Each bucket is this much wider than the previous one (about ±12 % error on a quantile). */
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);

/** Number of latency buckets (the last one also takes everything slower, ≈ 7 minutes and up). */
export const LATENCY_BUCKETS = 72;

/** The bucket a duration (ms) falls in. */
export function latencyBucket(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  const index = Math.ceil(Math.log(ms / FIRST_BOUND_MS) / LOG_GROWTH);
  return index < LATENCY_BUCKETS ? index : LATENCY_BUCKETS - 1;
}

/** Upper bound of a bucket in ms. */
export function bucketUpperMs(index: number): number {
  return FIRST_BOUND_MS * GROWTH ** index;
}

/**
 * The q-quantile (0..1) of a histogram stored at `counts[offset .. offset + LATENCY_BUCKETS)`,
 * as the geometric middle of the bucket it falls in (ms, 3 decimals), or null with no samples.
 */
export function latencyQuantile(counts: ArrayLike<number>, offset: number, q: number): number | null {
  let total = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) total += counts[offset + i] as number;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    seen += counts[offset + i] as number;
    if (seen >= rank) {
      const upper = bucketUpperMs(i);
      const middle = i === 0 ? upper / 2 : Math.sqrt(upper * bucketUpperMs(i - 1));
      return Math.round(middle * 1000) / 1000;
    }
  }
  return null;
}
