/**
 * The control-plane half of the statistics: once a second it takes a snapshot of the data
 * plane's cumulative counters (one process now, merged worker snapshots later), turns the
 * differences into per-second rates kept in 5-minute rings, computes p50/p99 over the last
 * 10 seconds, and hands the resulting `stats` event to its listeners (the live stream).
 */
import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import { qualify } from '../core/names.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import type { TcpCounters, TcpStats } from '../tcp/stats.js';
import { latencyQuantile } from './latency-histogram.js';
import {
  C_BYTES_IN,
  C_BYTES_OUT,
  C_LATENCY,
  C_REQUESTS,
  C_STATUS,
  type RecentRequest,
  type SlotSnapshot,
  STATUS_CLASSES,
  type StatsSnapshot,
} from './stats-snapshot.js';

/** Seconds of per-second rates kept. */
export const HISTORY_SECONDS = 300;
/** Seconds over which p50/p99 are computed. */
const QUANTILE_WINDOW = 10;
/** Recent requests per event (and kept for `/api/stats`). */
const RECENT_MAX = 50;

/** What the statistics need to know about the running process. */
export interface LiveView {
  readonly runtime: RuntimeConfiguration;
  readonly upstreams: UpstreamRegistry;
  readonly entryPoints: ReadonlyMap<string, { readonly inFlight: number }>;
  /** TCP and UDP connection statistics (this process's), when TCP routing runs here. */
  readonly tcpStats?: TcpStats;
}

/** TCP routers and services, and UDP routers, in a `stats` event: connections, bytes, time. */
export interface ConnectionFigures {
  routers: Record<string, TcpCounters>;
  services: Record<string, TcpCounters>;
  udpRouters: Record<string, TcpCounters>;
}

type StatusCounts = Record<(typeof STATUS_CLASSES)[number], number>;

/** Traffic of one router, service or server in a `stats` event. */
export interface TrafficFigures {
  requests: number;
  /** Requests per second over the last second. */
  rate: number;
  status: StatusCounts;
  /** Latency quantiles over the last 10 s (ms), null without requests. */
  p50: number | null;
  p99: number | null;
  bytesOut: number;
  bytesIn: number;
}

/** A server's figures, with its live state. */
export interface ServerFigures extends TrafficFigures {
  service: string;
  inFlight: number;
  health: 'UP' | 'DOWN';
}

/** A recent request as sent to clients. */
export interface RecentEntry extends Omit<RecentRequest, 'time'> {
  time: string;
}

/** The `stats` event (also the body of `/api/stats`, which adds `history`). */
export interface StatsEvent {
  time: string;
  entryPoints: Record<string, { requests: number; rate: number; inFlight: number }>;
  routers: Record<string, TrafficFigures>;
  services: Record<string, TrafficFigures>;
  servers: Record<string, ServerFigures>;
  recent: RecentEntry[];
  /** Per-connection statistics of TCP and UDP routing (absent when none ran). */
  tcp?: ConnectionFigures;
}

/** Per-second request rates, oldest first, one point per second ending at `end`. */
export interface StatsHistory {
  step: 1;
  end: string;
  entryPoints: Record<string, number[]>;
  services: Record<string, number[]>;
  servers: Record<string, number[]>;
}

type Kind = 'entryPoints' | 'routers' | 'services' | 'servers';
const KINDS: readonly Kind[] = ['entryPoints', 'routers', 'services', 'servers'];

/** Rates and quantiles from successive snapshots, and the listeners of each tick. */
export class LiveStats {
  private readonly rings: Record<Kind, Map<string, Float64Array>> = {
    entryPoints: new Map(),
    routers: new Map(),
    services: new Map(),
    servers: new Map(),
  };
  /** Ticks so far (the ring position). */
  private ticks = 0;
  private previous: StatsSnapshot | null = null;
  /** Snapshots of the last QUANTILE_WINDOW seconds, oldest first. */
  private readonly window: StatsSnapshot[] = [];
  private readonly lastRecent: RecentRequest[] = [];
  private pendingRecent: RecentRequest[] = [];
  private readonly listeners = new Set<(event: StatsEvent) => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: (drainRecent: boolean) => StatsSnapshot,
    private readonly view: LiveView,
  ) {}

  /** Ticks once a second until `stop()`; the timer never keeps the process alive. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** Stops ticking. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Calls `listener` with every `stats` event; returns a function that removes it. */
  subscribe(listener: (event: StatsEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes a snapshot, advances the rate rings and emits a `stats` event. */
  tick(): StatsEvent {
    const snapshot = this.collect();
    const elapsed = this.previous === null ? 1 : Math.max(0.001, (snapshot.at - this.previous.at) / 1000);
    const slot = this.ticks % HISTORY_SECONDS;
    for (const kind of KINDS) {
      const rings = this.rings[kind];
      const current = snapshot[kind];
      const before = this.previous?.[kind] ?? {};
      for (const [name, counters] of Object.entries(current)) {
        let ring = rings.get(name);
        if (ring === undefined) {
          ring = new Float64Array(HISTORY_SECONDS);
          rings.set(name, ring);
        }
        const delta = (counters.counts[C_REQUESTS] ?? 0) - (before[name]?.counts[C_REQUESTS] ?? 0);
        ring[slot] = Math.max(0, delta) / elapsed;
      }
      for (const [name, ring] of rings) {
        if (current[name] !== undefined) continue;
        ring[slot] = 0;
        if (ring.every((v) => v === 0)) rings.delete(name);
      }
    }
    this.ticks++;
    this.previous = snapshot;
    this.window.push(snapshot);
    if (this.window.length > QUANTILE_WINDOW + 1) this.window.shift();
    const recent = this.pendingRecent;
    this.pendingRecent = [];
    const event = this.build(snapshot, recent);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** The current figures (counters as of now, rates of the last tick) and the last 50 requests. */
  current(): StatsEvent {
    return this.build(this.collect(), this.lastRecent);
  }

  /** Per-second rates of the last 5 minutes. */
  history(): StatsHistory {
    const points = Math.min(this.ticks, HISTORY_SECONDS);
    const series = (kind: Kind) => {
      const out: Record<string, number[]> = {};
      for (const [name, ring] of this.rings[kind]) {
        const values: number[] = [];
        for (let i = this.ticks - points; i < this.ticks; i++) values.push(round(ring[i % HISTORY_SECONDS] as number));
        out[name] = values;
      }
      return out;
    };
    return {
      step: 1,
      end: new Date(this.previous?.at ?? Date.now()).toISOString(),
      entryPoints: series('entryPoints'),
      services: series('services'),
      servers: series('servers'),
    };
  }

  private collect(): StatsSnapshot {
    const snapshot = this.source(true);
    if (snapshot.recent.length > 0) {
      push(this.lastRecent, snapshot.recent);
      push(this.pendingRecent, snapshot.recent);
    }
    return snapshot;
  }

  private rate(kind: Kind, name: string): number {
    if (this.ticks === 0) return 0;
    return round(this.rings[kind].get(name)?.[(this.ticks - 1) % HISTORY_SECONDS] ?? 0);
  }

  private figures(kind: Kind, name: string, slot: SlotSnapshot | undefined): TrafficFigures {
    const counts = slot?.counts;
    const status = {} as StatusCounts;
    for (let i = 0; i < STATUS_CLASSES.length; i++)
      status[STATUS_CLASSES[i] as keyof StatusCounts] = counts?.[C_STATUS + i] ?? 0;
    // Quantiles over the window: today's histogram minus the one of 10 s ago.
    let p50: number | null = null;
    let p99: number | null = null;
    if (counts !== undefined) {
      const old = this.window[0]?.[kind][name]?.counts;
      const diff = old === undefined || old === counts ? counts : counts.map((v, i) => v - (old[i] ?? 0));
      p50 = latencyQuantile(diff, C_LATENCY, 0.5);
      p99 = latencyQuantile(diff, C_LATENCY, 0.99);
    }
    return {
      requests: counts?.[C_REQUESTS] ?? 0,
      rate: this.rate(kind, name),
      status,
      p50,
      p99,
      bytesOut: counts?.[C_BYTES_OUT] ?? 0,
      bytesIn: counts?.[C_BYTES_IN] ?? 0,
    };
  }

  private build(snapshot: StatsSnapshot, recent: readonly RecentRequest[]): StatsEvent {
    const { runtime, upstreams, entryPoints } = this.view;
    const event: StatsEvent = {
      time: new Date(snapshot.at).toISOString(),
      entryPoints: {},
      routers: {},
      services: {},
      servers: {},
      recent: recent.map((r) => ({ ...r, time: new Date(r.time).toISOString() })),
    };
    for (const [name, entryPoint] of entryPoints) {
      event.entryPoints[name] = {
        requests: snapshot.entryPoints[name]?.counts[C_REQUESTS] ?? 0,
        rate: this.rate('entryPoints', name),
        inFlight: entryPoint.inFlight,
      };
    }
    for (const name of union(runtime.routers.keys(), Object.keys(snapshot.routers))) {
      if (!name.endsWith('@internal')) event.routers[name] = this.figures('routers', name, snapshot.routers[name]);
    }
    const serviceOf = new Map<string, string>();
    for (const service of runtime.services.values()) {
      for (const server of service.config?.loadBalancer?.servers ?? []) {
        if (!serviceOf.has(server.url)) serviceOf.set(server.url, service.name);
      }
    }
    for (const name of union(runtime.services.keys(), Object.keys(snapshot.services))) {
      event.services[name] = this.figures('services', name, snapshot.services[name]);
    }
    const now = Date.now();
    for (const url of union(serviceOf.keys(), Object.keys(snapshot.servers))) {
      const state = upstreams.peek(url);
      event.servers[url] = {
        service: serviceOf.get(url) ?? '',
        ...this.figures('servers', url, snapshot.servers[url]),
        inFlight: state?.inFlight ?? 0,
        health: state === undefined || state.available(now) ? 'UP' : 'DOWN',
      };
    }
    const tcp = this.view.tcpStats;
    if (tcp !== undefined && (tcp.routers.size > 0 || tcp.udpRouters.size > 0)) {
      const copy = (map: ReadonlyMap<string, TcpCounters>) => {
        const out: Record<string, TcpCounters> = {};
        for (const [name, counters] of map)
          out[name] = { ...counters, durationSeconds: round(counters.durationSeconds) };
        return out;
      };
      event.tcp = { routers: copy(tcp.routers), services: copy(tcp.services), udpRouters: copy(tcp.udpRouters) };
    }
    return event;
  }
}

/** The names that have statistics worth keeping after a reload (for `StatsRecorder.prune`). */
export function namesInUse(view: LiveView): {
  routers: Set<string>;
  services: Set<string>;
  servers: Set<string>;
} {
  const servers = new Set<string>();
  for (const state of view.upstreams.all()) servers.add(state.url);
  const services = new Set(view.runtime.services.keys());
  for (const router of view.runtime.routers.values()) {
    if (router.config?.service !== undefined) services.add(qualify(router.config.service, router.provider));
  }
  return { routers: new Set(view.runtime.routers.keys()), services, servers };
}

function union(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const out = new Set(a);
  for (const name of b) out.add(name);
  return out;
}

function push(list: RecentRequest[], items: readonly RecentRequest[]): void {
  list.push(...items.slice(-RECENT_MAX));
  if (list.length > RECENT_MAX) list.splice(0, list.length - RECENT_MAX);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
