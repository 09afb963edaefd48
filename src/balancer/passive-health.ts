/**
 * Passive health checks (`loadBalancer.passiveHealthCheck`): the data plane watches real
 * traffic. A server that fails `maxFailedAttempts` times in a row within `failureWindow` is
 * taken out of rotation for `failureWindow`, then tried again. A failure is a transport error
 * (refused, reset, timeout) or a 5xx answer, as in Traefik; any other answer resets the count.
 */
import type { UpstreamState } from './upstream-state.js';

/** Traefik's defaults. */
export const PASSIVE_DEFAULTS = Object.freeze({ failureWindow: 10_000, maxFailedAttempts: 1 });

/** One load balancer's passive health settings, applied to the shared upstream states. */
export class PassiveHealthPolicy {
  constructor(
    /** Window in which failures count, and time out of rotation (ms). */
    readonly failureWindow: number,
    readonly maxFailedAttempts: number,
  ) {}

  /** Records a failed attempt; returns true when it took the server out of rotation. */
  failed(state: UpstreamState, now: number): boolean {
    if (state.passiveFailures === 0 || now - state.passiveWindowStart > this.failureWindow) {
      state.passiveWindowStart = now;
      state.passiveFailures = 0;
    }
    state.passiveFailures++;
    if (state.passiveFailures < this.maxFailedAttempts) return false;
    state.passiveFailures = 0;
    state.markPassiveDown(now + this.failureWindow, now);
    return true;
  }

  /** Records an answer: 5xx counts as a failure, anything else resets the count. */
  answered(state: UpstreamState, status: number, now: number): void {
    if (status >= 500) this.failed(state, now);
    else if (state.passiveFailures !== 0) state.passiveFailures = 0;
  }
}
