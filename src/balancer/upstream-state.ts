/**
 * Live state of upstream servers, kept apart from configuration and keyed by server URL, so
 * in-flight counts, health and traffic statistics survive reloads (a reload builds new
 * balancers that look their servers up here). Availability inputs (active health, passive
 * health, draining) are changed through methods that announce the change on the registry's
 * events (upstream-events.ts); the fields stay plain so the hot path reads them for free.
 */
import { ResponseTimes } from './response-times.js';
import { type UpstreamChangeCause, UpstreamEvents } from './upstream-events.js';

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
  /** Recent answer times, kept only once a leasttime balancer uses this server (null otherwise). */
  responseTimes: ResponseTimes | null = null;

  /** Announces when the passive window ends, while someone listens. */
  private passiveTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly url: string,
    /** Where changes are announced (the registry's; a lone state gets its own). */
    readonly events: UpstreamEvents = new UpstreamEvents(),
  ) {}

  /** Starts keeping answer times (leasttime); the forwarding engine then records every answer's. */
  sampleResponseTimes(): ResponseTimes {
    this.responseTimes ??= new ResponseTimes();
    return this.responseTimes;
  }

  /** Sets active health, announcing a real change once. */
  setActiveHealth(health: HealthStatus): void {
    if (this.activeHealth === health) return;
    this.activeHealth = health;
    this.announce('active-health', Date.now());
  }

  /** Starts or ends draining, announcing a real change once. */
  setDraining(draining: boolean): void {
    if (this.draining === draining) return;
    this.draining = draining;
    this.announce('draining', Date.now());
  }

  /**
   * Takes the server out of rotation until `until` (passive health). Announced when it goes out
   * and again when the window ends: nothing else happens at that moment, so a timer (only while
   * someone listens) stands for it. Extending a window already open announces nothing.
   */
  markPassiveDown(until: number, now: number): void {
    const wasDown = this.passiveDownUntil > now;
    this.passiveDownUntil = until;
    if (!wasDown) this.announce('passive-health', now);
    clearTimeout(this.passiveTimer);
    this.passiveTimer = undefined;
    if (!this.events.listened) return;
    this.passiveTimer = setTimeout(
      () => {
        this.passiveTimer = undefined;
        // A timer may fire a millisecond early by the wall clock; the window has ended by then.
        if (this.passiveDownUntil === until) this.announce('passive-health', Math.max(Date.now(), until));
      },
      Math.max(0, until - now),
    );
    this.passiveTimer.unref();
  }

  /** Forgets the pending passive-window timer (the state is being dropped). */
  dispose(): void {
    clearTimeout(this.passiveTimer);
    this.passiveTimer = undefined;
  }

  private announce(cause: UpstreamChangeCause, now: number): void {
    this.events.emit({ url: this.url, cause, available: this.available(now) });
  }

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
  /** Availability changes of every server here. */
  readonly events = new UpstreamEvents();

  /** Returns the state for a server URL, creating it on first use. */
  get(url: string): UpstreamState {
    let state = this.states.get(url);
    if (state === undefined) {
      state = new UpstreamState(url, this.events);
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
      if (!keep.has(url) && state.inFlight === 0) {
        state.dispose();
        this.states.delete(url);
      }
    }
  }

  /** Forgets one server's state (after it drained). */
  delete(url: string): void {
    this.states.get(url)?.dispose();
    this.states.delete(url);
  }

  /** Every known state (for the API and metrics). */
  all(): IterableIterator<UpstreamState> {
    return this.states.values();
  }
}
