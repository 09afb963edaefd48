/**
 * The data-plane half of the statistics: one call per finished request adds to fixed-size
 * typed-array counters of its entry point, router, service and server. A slot is found with one
 * Map lookup on a name the request already carries (no key building); Prometheus series are
 * found by a numeric key. `snapshot()` turns it all into plain, mergeable JSON.
 */

import type { RequestContext } from '../core/request-context.js';
import { connectionFacts } from '../server/listener/connection-facts.js';
import { latencyBucket } from './latency-histogram.js';
import { RecentRing } from './recent-ring.js';
import {
  C_BYTES_IN,
  C_BYTES_OUT,
  C_DURATION_MS,
  C_LATENCY,
  C_REQUESTS,
  C_RETRIES,
  C_STATUS,
  METHODS,
  S_BUCKETS,
  S_BYTES_IN,
  S_BYTES_OUT,
  S_COUNT,
  S_DURATION_SECONDS,
  SLOT_SIZE,
  type SlotSnapshot,
  type StatsSnapshot,
  seriesKey,
} from './stats-snapshot.js';

/** Which slots keep Prometheus series (by code, method, protocol) and with which buckets. */
export interface RecorderOptions {
  /** Upper bounds (seconds) of the Prometheus duration histograms; empty with no Prometheus. */
  promBuckets: readonly number[];
  entryPointSeries: boolean;
  routerSeries: boolean;
  serviceSeries: boolean;
  /** Size of the recent-requests ring. */
  recentCapacity?: number;
}

const METHOD_INDEX: Record<string, number> = Object.create(null);
for (let i = 0; i < METHODS.length; i++) METHOD_INDEX[METHODS[i] as string] = i;
/** Index of EXTENSION_METHOD in series keys. */
const OTHER_METHOD = METHODS.length;

/** Counters of one object. */
class StatSlot {
  readonly counts = new Float64Array(SLOT_SIZE);
  /** Prometheus series by numeric key, or null when this kind keeps none. */
  readonly series: Map<number, Float64Array> | null;

  constructor(withSeries: boolean) {
    this.series = withSeries ? new Map() : null;
  }
}

/** Per-request recording into cumulative counters; one per data-plane process. */
export class StatsRecorder {
  private readonly entryPoints = new Map<string, StatSlot>();
  private readonly routers = new Map<string, StatSlot>();
  private readonly services = new Map<string, StatSlot>();
  private readonly servers = new Map<string, StatSlot>();
  private readonly recent: RecentRing;
  private readonly buckets: Float64Array;
  /** Requests seen (the access log's RequestCount uses the same idea). */
  total = 0;

  constructor(readonly options: RecorderOptions) {
    this.buckets = Float64Array.from(options.promBuckets);
    this.recent = new RecentRing(options.recentCapacity ?? 1024);
  }

  /**
   * Records a finished request. Requests to `…@internal` routers (API, dashboard, ping,
   * metrics) are left out, as Traefik does unless `addInternals`: the dashboard watching
   * itself would otherwise be most of the traffic it shows.
   */
  record(ctx: RequestContext, startedAt: number, bytesOut: number, bytesIn: number): void {
    const router = ctx.router;
    if (router.endsWith('@internal')) return;
    const durationMs = performance.now() - startedAt;
    const res = ctx.res;
    let status = res.statusCode;
    // The client went away before any answer: Traefik's convention is 499.
    if (status === 200 && !res.headersSent) status = 499;
    const statusClass = ((status / 100) | 0) - 1;
    const latency = C_LATENCY + latencyBucket(durationMs);
    const retries = ctx.retries ?? 0;
    const method = ctx.req.method ?? 'GET';
    const key =
      this.buckets.length === 0
        ? 0
        : seriesKey(ctx.upgradeHead != null ? 1 : 0, METHOD_INDEX[method] ?? OTHER_METHOD, status);
    this.total++;

    this.add(
      slotOf(this.entryPoints, ctx.entryPoint, this.options.entryPointSeries),
      statusClass,
      latency,
      durationMs,
      bytesOut,
      bytesIn,
      retries,
      key,
    );
    if (router !== '') {
      this.add(
        slotOf(this.routers, router, this.options.routerSeries),
        statusClass,
        latency,
        durationMs,
        bytesOut,
        bytesIn,
        retries,
        key,
      );
    }
    const service = ctx.service ?? '';
    if (service !== '') {
      this.add(
        slotOf(this.services, service, this.options.serviceSeries),
        statusClass,
        latency,
        durationMs,
        bytesOut,
        bytesIn,
        retries,
        key,
      );
    }
    const server = ctx.serverUrl ?? '';
    if (server !== '') {
      this.add(slotOf(this.servers, server, false), statusClass, latency, durationMs, bytesOut, bytesIn, retries, key);
    }
    this.recent.push(
      performance.timeOrigin + startedAt,
      method,
      ctx.host,
      ctx.req.url ?? '/',
      router,
      service,
      server,
      status,
      durationMs,
      ctx.scheme === 'https' ? (connectionFacts(ctx.req.socket).tlsVersion ?? '') : '',
      ctx.req.httpVersion,
    );
  }

  private add(
    slot: StatSlot,
    statusClass: number,
    latency: number,
    durationMs: number,
    bytesOut: number,
    bytesIn: number,
    retries: number,
    key: number,
  ): void {
    const c = slot.counts;
    c[C_REQUESTS]++;
    if (statusClass >= 0 && statusClass < 5) c[C_STATUS + statusClass]++;
    c[C_BYTES_OUT] += bytesOut;
    c[C_BYTES_IN] += bytesIn;
    c[C_DURATION_MS] += durationMs;
    c[C_RETRIES] += retries;
    c[latency]++;
    const series = slot.series;
    if (series === null) return;
    let s = series.get(key);
    if (s === undefined) {
      s = new Float64Array(S_BUCKETS + this.buckets.length);
      series.set(key, s);
    }
    const seconds = durationMs / 1000;
    s[S_COUNT]++;
    s[S_DURATION_SECONDS] += seconds;
    s[S_BYTES_IN] += bytesIn;
    s[S_BYTES_OUT] += bytesOut;
    const bounds = this.buckets;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        s[S_BUCKETS + i]++;
        break;
      }
    }
  }

  /** Cumulative counters as plain JSON; with `drainRecent`, also the requests since the last drain. */
  snapshot(drainRecent: boolean): StatsSnapshot {
    return {
      at: Date.now(),
      entryPoints: toRecord(this.entryPoints),
      routers: toRecord(this.routers),
      services: toRecord(this.services),
      servers: toRecord(this.servers),
      recent: drainRecent ? this.recent.drain() : [],
    };
  }

  /** Forgets routers, services and servers the configuration no longer has. */
  prune(keep: { routers: ReadonlySet<string>; services: ReadonlySet<string>; servers: ReadonlySet<string> }): void {
    for (const name of this.routers.keys()) if (!keep.routers.has(name)) this.routers.delete(name);
    for (const name of this.services.keys()) if (!keep.services.has(name)) this.services.delete(name);
    for (const name of this.servers.keys()) if (!keep.servers.has(name)) this.servers.delete(name);
  }
}

function slotOf(slots: Map<string, StatSlot>, name: string, withSeries: boolean): StatSlot {
  let slot = slots.get(name);
  if (slot === undefined) {
    slot = new StatSlot(withSeries);
    slots.set(name, slot);
  }
  return slot;
}

function toRecord(slots: Map<string, StatSlot>): Record<string, SlotSnapshot> {
  const out: Record<string, SlotSnapshot> = {};
  for (const [name, slot] of slots) {
    const series: Record<string, number[]> = {};
    if (slot.series !== null) for (const [key, values] of slot.series) series[key] = Array.from(values);
    out[name] = { counts: Array.from(slot.counts), series };
  }
  return out;
}
