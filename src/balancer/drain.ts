/**
 * Draining servers that left the configuration (file edit, container stop, scale-down). A
 * removed server is marked `draining` so no balancer, old or new, picks it again; its in-flight
 * requests finish (up to a grace period); then its pooled keep-alive connections are closed and
 * its state forgotten. A server that comes back before that simply stops draining.
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

/** How often a draining server is looked at (ms). */
const POLL_MS = 25;

/**
 * How long a dial to a leaving server may take before it is abandoned (ms). A reachable server on
 * a LAN or loopback connects in well under a millisecond; this only spares slow links.
 */
export const DIAL_PATIENCE_MS = 100;

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

/** Drains servers that no configuration lists any more. */
export class Drainer {
  private readonly draining = new Map<string, { state: UpstreamState; since: number; timer: NodeJS.Timeout }>();
  /** Endpoints (`host:port`) of the servers configured now: their pools stay open. */
  private liveEndpoints = new Set<string>();

  constructor(
    private readonly upstreams: UpstreamRegistry,
    private readonly transports: TransportSource,
    /** Longest wait for in-flight requests to a removed server (ms). */
    private readonly graceMs: number,
  ) {}

  /** Applies a new configuration's server set: drains the removed, revives the returned. */
  update(usedUrls: ReadonlySet<string>): void {
    this.liveEndpoints = new Set();
    for (const url of usedUrls) {
      const target = endpoint(url);
      if (target !== null) this.liveEndpoints.add(`${target.hostname}:${target.port}`);
    }
    for (const [url, entry] of this.draining) {
      if (!usedUrls.has(url)) continue;
      clearInterval(entry.timer);
      this.draining.delete(url);
      entry.state.draining = false;
    }
    for (const state of this.upstreams.all()) {
      if (usedUrls.has(state.url) || this.draining.has(state.url)) continue;
      state.draining = true;
      const timer = setInterval(() => this.poll(state.url), POLL_MS);
      timer.unref();
      this.draining.set(state.url, { state, since: Date.now(), timer });
    }
  }

  /** Stops watching (shutdown). */
  stop(): void {
    for (const entry of this.draining.values()) clearInterval(entry.timer);
    this.draining.clear();
  }

  private poll(url: string): void {
    const entry = this.draining.get(url);
    if (entry === undefined) return;
    const now = Date.now();
    const target = endpoint(url);
    // Another configured URL may lead to the same host and port (a path prefix): keep its pool.
    const leaving = target !== null && !this.liveEndpoints.has(`${target.hostname}:${target.port}`);
    if (leaving && entry.state.inFlight > 0) {
      for (const pool of this.transports()) pool.abortDialsTo(target.hostname, target.port, now, DIAL_PATIENCE_MS);
    }
    const overdue = now - entry.since >= this.graceMs;
    if (entry.state.inFlight > 0 && !overdue) return;
    clearInterval(entry.timer);
    this.draining.delete(url);
    if (leaving) closeSocketsTo(this.transports(), target.hostname, target.port, overdue);
    // Only forget the state if no newer configuration brought the server back meanwhile.
    if (this.upstreams.peek(url) === entry.state) this.upstreams.delete(url);
  }
}
