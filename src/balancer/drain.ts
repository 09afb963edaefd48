/**
 * The one place a server is drained, whatever removed it: a configuration that no longer lists
 * it (file edit, rebuild after a provider's snapshot), or a provider announcing that it is about
 * to go (`drain(url)`: a replica of `up` stopping, a container being killed). A leaving server
 * is marked `draining` (announced on the upstream events) so no balancer, old or new, picks it
 * again; its in-flight requests finish (up to a grace period), and whoever announced it learns
 * how that went; then its pooled keep-alive connections are closed and its state forgotten. A
 * server that comes back before that simply stops draining.
 *
 * A dial to a leaving server that has not connected after DIAL_PATIENCE_MS is cut at once rather
 * than counted as a request to wait for: a stopped container's address stops answering at all
 * (the SYN is dropped while the neighbour entry is still cached), so such a dial would hang until
 * the grace period or the dial timeout. Nothing was sent, so the request moves to another server.
 */
import type { UpstreamRegistry, UpstreamState } from './upstream-state.js';

/** Something holding pooled upstream connections (a transport). */
export interface ConnectionPools {
  /** Closes pooled connections to `hostname:port` (idle ones, in-use ones too when `all`). */
  closeSocketsTo(hostname: string, port: number, all: boolean): number;
  /** Fails dials to `hostname:port` pending for `minAgeMs` or more; their requests were never sent. */
  abortDialsTo(hostname: string, port: number, now: number, minAgeMs: number): number;
}

/** Gives the pools whose connections may lead to a server. */
export type TransportSource = () => Iterable<ConnectionPools>;

/**
 * How often draining servers are looked at (ms), only while one is draining. A poll rather than
 * an event: the in-flight count drops in the forwarder (src/proxy/forward.ts, upgrade.ts), which
 * announces nothing on that per-request path, and a dial to a leaving server must be cut once it
 * is DIAL_PATIENCE_MS old, which is a matter of time, not of an event.
 */
const POLL_MS = 25;

/**
 * How long a dial to a leaving server may take before it is abandoned (ms). A reachable server on
 * a LAN or loopback connects in well under a millisecond; this only spares slow links.
 */
const DIAL_PATIENCE_MS = 100;

/** Closes pooled connections to `hostname:port` in every pool source. */
export function closeSocketsTo(pools: Iterable<ConnectionPools>, hostname: string, port: number, all: boolean): number {
  let closed = 0;
  for (const pool of pools) closed += pool.closeSocketsTo(hostname, port, all);
  return closed;
}

/** Where a server URL points, for matching pool names. */
function endpoint(url: string): { hostname: string; port: number } | null {
  try {
    const parsed = new URL(url);
    const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return { hostname, port };
  } catch {
    return null;
  }
}

/** How a wait for a leaving server ended. */
export interface DrainOutcome {
  readonly url: string;
  /**
   * `idle`: nothing left in flight; `grace`: the grace period passed first (what was still in
   * flight is cut); `returned`: a configuration lists the server again; `stopped`: shutdown.
   */
  readonly ended: 'idle' | 'grace' | 'returned' | 'stopped';
  /** Requests still in flight when the wait ended. */
  readonly inFlight: number;
  /** How long the wait took (ms). */
  readonly waitedMs: number;
}

/** What a provider is given at assembly to announce that a server is leaving. */
export interface ServerDrains {
  /**
   * Takes `url` out of rotation at once and resolves when its in-flight requests finished or the
   * grace period passed. Call it after publishing a snapshot without the server, so the next
   * rebuild does not bring it back.
   */
  drain(url: string): Promise<DrainOutcome>;
}

/** One server being drained. */
interface Draining {
  readonly state: UpstreamState;
  readonly since: number;
  /** Where the server's URL points, parsed once (null for a URL that does not parse). */
  readonly target: { hostname: string; port: number } | null;
  /** Providers awaiting the end of the wait. */
  waiters: Array<(outcome: DrainOutcome) => void>;
  /**
   * The wait is over but the current configuration still lists the server (it was announced
   * ahead of the rebuild that drops it): it stays draining, and is finished by that rebuild.
   */
  settled: boolean;
}

/** Drains servers that are leaving: announced by a provider, or no longer configured. */
export class Drainer implements ServerDrains {
  private readonly draining = new Map<string, Draining>();
  /** Server URLs of the current configuration. */
  private usedUrls: ReadonlySet<string> = new Set();
  /** Endpoints (`host:port`) of the servers configured now, with their URLs: their pools stay open. */
  private liveEndpoints = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly upstreams: UpstreamRegistry,
    private readonly transports: TransportSource,
    /** Longest wait for in-flight requests to a leaving server (ms). */
    private readonly graceMs: number,
  ) {}

  /** Applies a new configuration's server set: drains the removed, revives the returned. */
  update(usedUrls: ReadonlySet<string>): void {
    this.usedUrls = usedUrls;
    this.liveEndpoints = new Map();
    for (const url of usedUrls) {
      const target = endpoint(url);
      if (target === null) continue;
      const key = `${target.hostname}:${target.port}`;
      const urls = this.liveEndpoints.get(key);
      if (urls === undefined) this.liveEndpoints.set(key, [url]);
      else urls.push(url);
    }
    const now = Date.now();
    for (const [url, entry] of this.draining) {
      if (usedUrls.has(url)) {
        this.draining.delete(url);
        entry.state.setDraining(false);
        this.settle(url, entry, 'returned', now);
      } else if (entry.settled) {
        this.finish(url, entry);
      }
    }
    for (const state of this.upstreams.all()) {
      if (!usedUrls.has(state.url) && !this.draining.has(state.url)) this.begin(state);
    }
  }

  /** Takes `url` out of rotation now; resolves when it has nothing in flight, or after the grace period. */
  drain(url: string): Promise<DrainOutcome> {
    const state = this.upstreams.peek(url);
    // Never routed to (no balancer built it): nothing can be in flight.
    if (state === undefined) return Promise.resolve({ url, ended: 'idle', inFlight: 0, waitedMs: 0 });
    const entry = this.draining.get(url) ?? this.begin(state);
    const outcome = new Promise<DrainOutcome>((resolve) => entry.waiters.push(resolve));
    if (entry.settled) {
      entry.settled = false;
      this.schedule();
    }
    // Often nothing is in flight: answer now rather than at the next look.
    this.check(url, entry, Date.now());
    this.holdProcess();
    return outcome;
  }

  /** Stops watching (shutdown); pending waits end as `stopped`. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const now = Date.now();
    for (const [url, entry] of this.draining) this.settle(url, entry, 'stopped', now);
    this.draining.clear();
  }

  private begin(state: UpstreamState): Draining {
    state.setDraining(true);
    const entry: Draining = { state, since: Date.now(), target: endpoint(state.url), waiters: [], settled: false };
    this.draining.set(state.url, entry);
    this.schedule();
    return entry;
  }

  /** Runs the poll while some server is still waited for, and only then. */
  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.holdProcess();
  }

  /**
   * The poll keeps the process alive only while a provider awaits an outcome (at most the grace
   * period): a drain nobody waits for must not delay an exit.
   */
  private holdProcess(): void {
    if (this.timer === null) return;
    for (const entry of this.draining.values()) {
      if (entry.waiters.length > 0) {
        this.timer.ref();
        return;
      }
    }
    this.timer.unref();
  }

  private poll(): void {
    const now = Date.now();
    let waiting = false;
    for (const [url, entry] of this.draining) {
      if (entry.settled) continue;
      this.check(url, entry, now);
      if (this.draining.get(url) === entry && !entry.settled) waiting = true;
    }
    if (!waiting && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.holdProcess();
  }

  /** Ends the wait for one server if nothing is in flight or the grace period passed. */
  private check(url: string, entry: Draining, now: number): void {
    const target = entry.target;
    if (target !== null && this.leaving(target) && entry.state.inFlight > 0) {
      for (const pool of this.transports()) pool.abortDialsTo(target.hostname, target.port, now, DIAL_PATIENCE_MS);
    }
    const overdue = now - entry.since >= this.graceMs;
    if (entry.state.inFlight > 0 && !overdue) return;
    this.settle(url, entry, entry.state.inFlight === 0 ? 'idle' : 'grace', now);
    if (this.usedUrls.has(url)) entry.settled = true;
    else this.finish(url, entry);
  }

  /** Tells the waiters how the wait ended. */
  private settle(url: string, entry: Draining, ended: DrainOutcome['ended'], now: number): void {
    const waiters = entry.waiters;
    entry.waiters = [];
    const outcome: DrainOutcome = { url, ended, inFlight: entry.state.inFlight, waitedMs: now - entry.since };
    for (const resolve of waiters) resolve(outcome);
  }

  /** Closes the server's pooled connections and forgets it. */
  private finish(url: string, entry: Draining): void {
    this.draining.delete(url);
    const target = entry.target;
    if (target !== null && this.leaving(target))
      closeSocketsTo(this.transports(), target.hostname, target.port, entry.state.inFlight > 0);
    // Only forget the state if no newer configuration brought the server back meanwhile.
    if (this.upstreams.peek(url) === entry.state) this.upstreams.delete(url);
  }

  /**
   * Whether no configured URL that stays leads to this host and port (another URL with a path
   * prefix may): then its pool can go. A URL announced as leaving but not yet dropped by a
   * rebuild does not keep it.
   */
  private leaving(target: { hostname: string; port: number }): boolean {
    const urls = this.liveEndpoints.get(`${target.hostname}:${target.port}`) ?? [];
    return urls.every((url) => this.draining.has(url));
  }
}
