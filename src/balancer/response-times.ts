/**
 * The recent answer times of one server, for the leasttime strategy: the last 100 times to the
 * first byte of the answer, in whole milliseconds as Traefik counts them (so servers that answer
 * within the same millisecond tie, and the tie is broken by weighted round robin).
 * Kept only for servers a leasttime balancer uses (`UpstreamState.sampleResponseTimes`), so
 * every other request pays one null check.
 */

/** How many answers the average covers (Traefik's sample size). */
export const RESPONSE_TIME_SAMPLES = 100;

/** A ring of the last answer times and their running sum. */
export class ResponseTimes {
  private readonly samples = new Float64Array(RESPONSE_TIME_SAMPLES);
  private next = 0;
  private count = 0;
  private sum = 0;

  /** Records one answer time (ms, truncated to whole milliseconds). */
  add(ms: number): void {
    const whole = Math.max(0, Math.trunc(ms));
    if (this.count < RESPONSE_TIME_SAMPLES) this.count++;
    else this.sum -= this.samples[this.next] as number;
    this.samples[this.next] = whole;
    this.sum += whole;
    this.next = (this.next + 1) % RESPONSE_TIME_SAMPLES;
  }

  /** The average of the recorded times, 0 before the first (a new server is tried first). */
  average(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}
