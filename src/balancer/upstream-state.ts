/**
 * Live state of upstream servers, kept apart from configuration and keyed by server URL, so
 * in-flight counts, health and traffic statistics survive reloads (a reload builds new
 * balancers that look their servers up here).
 */

/** Health as decided by the control plane (active checks) and the data plane (passive). */
export type HealthStatus = 'UP' | 'DOWN';

/** Mutable state of one upstream server URL; shared by every balancer that lists it. */
export class UpstreamState {
  /** Requests sent to this server and not finished yet. */
  inFlight = 0;
  /** Active health (set by health checks; UP when none is configured). */
  activeHealth: HealthStatus = 'UP';
  /** Passive health: the server is skipped until this time (ms since epoch), 0 when fine. */
  passiveDownUntil = 0;
  /** True while the server is being removed: it takes no new request, in-flight ones finish. */
  draining = false;
  /** Total requests forwarded, and those that failed at the transport level (502/504). */
  requests = 0;
  failures = 0;
  /** Passive health: failures counted in the current window, and when that window opened. */
  passiveFailures = 0;
  passiveWindowStart = 0;

  constructor(readonly url: string) {}

  /** Whether a balancer may pick this server now. */
  available(now: number): boolean {
    return (
      this.activeHealth === 'UP' && !this.draining && (this.passiveDownUntil === 0 || this.passiveDownUntil <= now)
    );
  }
}

/** The registry of upstream states; one per process (data plane). */
export class UpstreamRegistry {
  private readonly states = new Map<string, UpstreamState>();

  /** Returns the state for a server URL, creating it on first use. */
  get(url: string): UpstreamState {
    let state = this.states.get(url);
    if (state === undefined) {
      state = new UpstreamState(url);
      this.states.set(url, state);
    }
    return state;
  }

  /** Looks a state up without creating it. */
  peek(url: string): UpstreamState | undefined {
    return this.states.get(url);
  }

  /** Forgets servers no configuration lists any more and that have nothing in flight. */
  prune(keep: ReadonlySet<string>): void {
    for (const [url, state] of this.states) {
      if (!keep.has(url) && state.inFlight === 0) this.states.delete(url);
    }
  }

  /** Forgets one server's state (after it drained). */
  delete(url: string): void {
    this.states.delete(url);
  }

  /** Every known state (for the API and metrics). */
  all(): IterableIterator<UpstreamState> {
    return this.states.values();
  }
}
