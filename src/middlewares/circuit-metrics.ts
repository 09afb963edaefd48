/**
 * Rolling traffic metrics for the circuit breaker: the last 10 seconds in 1-second buckets
 * (oxy's defaults), with status-code counts and a bounded sample of latencies per bucket.
 */
import type { CircuitMetrics } from './circuit-expression.js';

const BUCKETS = 10;
const BUCKET_MS = 1000;
/** Latency samples kept per bucket; beyond that, new samples replace old ones in turn. */
const SAMPLES = 512;
/** Status codes counted one by one (0–599); others are clamped. */
const CODES = 600;

class Bucket {
  start = 0;
  total = 0;
  readonly codes = new Uint32Array(CODES);
  readonly latencies = new Float64Array(SAMPLES);
  sampled = 0;

  reset(start: number): void {
    this.start = start;
    this.total = 0;
    this.codes.fill(0);
    this.sampled = 0;
  }
}

/** Traffic of the last 10 seconds. */
export class RollingMetrics implements CircuitMetrics {
  private readonly buckets = Array.from({ length: BUCKETS }, () => new Bucket());
  private now = 0;

  /** Records one finished request. */
  record(status: number, latencyMs: number, now: number): void {
    const bucket = this.bucketAt(now);
    bucket.total++;
    (bucket.codes as Uint32Array)[Math.min(Math.max(status, 0), CODES - 1)]++;
    bucket.latencies[bucket.sampled % SAMPLES] = latencyMs;
    bucket.sampled++;
  }

  /** Forgets everything (after a state change). */
  reset(): void {
    for (const bucket of this.buckets) bucket.reset(0);
  }

  /** Sets the time the next queries are made at. */
  at(now: number): this {
    this.now = now;
    return this;
  }

  networkErrorRatio(): number {
    let total = 0;
    let errors = 0;
    for (const bucket of this.live()) {
      total += bucket.total;
      errors += (bucket.codes[502] as number) + (bucket.codes[504] as number);
    }
    return total === 0 ? 0 : errors / total;
  }

  responseCodeRatio(from: number, to: number, dividendFrom: number, dividendTo: number): number {
    let part = 0;
    let whole = 0;
    for (const bucket of this.live()) {
      for (let code = 0; code < CODES; code++) {
        const n = bucket.codes[code] as number;
        if (n === 0) continue;
        if (code >= from && code < to) part += n;
        if (code >= dividendFrom && code < dividendTo) whole += n;
      }
    }
    return whole === 0 ? 0 : part / whole;
  }

  latencyAtQuantileMS(q: number): number {
    const samples: number[] = [];
    for (const bucket of this.live()) {
      const n = Math.min(bucket.sampled, SAMPLES);
      for (let i = 0; i < n; i++) samples.push(bucket.latencies[i] as number);
    }
    if (samples.length === 0) return 0;
    samples.sort((a, b) => a - b);
    return samples[Math.min(samples.length - 1, Math.ceil((q / 100) * samples.length) - 1)] as number;
  }

  private *live(): Generator<Bucket> {
    const oldest = Math.floor(this.now / BUCKET_MS) * BUCKET_MS - (BUCKETS - 1) * BUCKET_MS;
    for (const bucket of this.buckets) if (bucket.total > 0 && bucket.start >= oldest) yield bucket;
  }

  private bucketAt(now: number): Bucket {
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const bucket = this.buckets[Math.floor(start / BUCKET_MS) % BUCKETS] as Bucket;
    if (bucket.start !== start) bucket.reset(start);
    return bucket;
  }
}
