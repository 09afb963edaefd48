/**
 * The serialisable form of the data plane's statistics, and how two of them add up. A worker
 * process would send one of these to the control plane every second; with one process the
 * control plane reads the local recorder. Everything is cumulative (since start), so merging is
 * a sum and rates are differences between two snapshots.
 */
import { LATENCY_BUCKETS } from './latency-histogram.js';

/** Positions in a slot's `counts` array. */
export const C_REQUESTS = 0;
/** Status classes 1xx..5xx at C_STATUS + 0..4. */
export const C_STATUS = 1;
export const C_BYTES_OUT = 6;
export const C_BYTES_IN = 7;
export const C_DURATION_MS = 8;
export const C_RETRIES = 9;
/** Latency histogram (LATENCY_BUCKETS counts) starts here. */
export const C_LATENCY = 10;
/** Length of a slot's `counts` array. */
export const SLOT_SIZE = C_LATENCY + LATENCY_BUCKETS;

/** Status class names in `counts[C_STATUS + i]` order. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Positions in a Prometheus series array. */
export const S_COUNT = 0;
export const S_DURATION_SECONDS = 1;
export const S_BYTES_IN = 2;
export const S_BYTES_OUT = 3;
/** Counts per configured Prometheus bucket (non-cumulative) start here. */
export const S_BUCKETS = 4;

/** Counters of one router, service, server or entry point. */
export interface SlotSnapshot {
  counts: number[];
  /** Prometheus series by key (see `seriesKey`): [count, seconds, bytesIn, bytesOut, ...buckets]. */
  series: Record<string, number[]>;
}

/** One finished request, for the "recent requests" list. */
export interface RecentRequest {
  /** Epoch ms when the request started. */
  time: number;
  method: string;
  host: string;
  path: string;
  router: string;
  service: string;
  server: string;
  status: number;
  durationMs: number;
  /** The TLS version (`TLSv1.3`) of a request that came over TLS; absent for plaintext. */
  tls?: string;
  /** `HTTP/1.1` or `HTTP/2.0` (what the client spoke). */
  protocol: string;
}

/** Everything the data plane counted, cumulative since it started. */
export interface StatsSnapshot {
  /** Epoch ms when the snapshot was taken. */
  at: number;
  entryPoints: Record<string, SlotSnapshot>;
  routers: Record<string, SlotSnapshot>;
  services: Record<string, SlotSnapshot>;
  servers: Record<string, SlotSnapshot>;
  /** Requests finished since the previous drain (oldest first). */
  recent: RecentRequest[];
}

/** Label values of a Prometheus series key. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
/** Traefik's label for any other method, which keeps the label set bounded. */
export const EXTENSION_METHOD = 'EXTENSION_METHOD';
export const PROTOCOLS = ['http', 'websocket'] as const;

/** A series key as a number: protocol, method and status code, no string building per request. */
export function seriesKey(protocol: number, method: number, code: number): number {
  return (protocol * 16 + method) * 1000 + (code > 999 || code < 0 ? 0 : code);
}

/** The labels behind a series key. */
export function seriesLabels(key: number): { code: string; method: string; protocol: string } {
  const code = key % 1000;
  const rest = (key - code) / 1000;
  const method = rest % 16;
  const protocol = (rest - method) / 16;
  return {
    code: String(code),
    method: METHODS[method] ?? EXTENSION_METHOD,
    protocol: PROTOCOLS[protocol] ?? 'http',
  };
}

/** An empty snapshot. */
export function emptySnapshot(at = Date.now()): StatsSnapshot {
  return { at, entryPoints: {}, routers: {}, services: {}, servers: {}, recent: [] };
}

function addSlot(into: Record<string, SlotSnapshot>, name: string, slot: SlotSnapshot): void {
  const target = into[name];
  if (target === undefined) {
    into[name] = {
      counts: slot.counts.slice(),
      series: Object.fromEntries(Object.entries(slot.series).map(([k, v]) => [k, v.slice()])),
    };
    return;
  }
  for (let i = 0; i < slot.counts.length; i++) target.counts[i] = (target.counts[i] ?? 0) + (slot.counts[i] as number);
  for (const [key, values] of Object.entries(slot.series)) {
    const existing = target.series[key];
    if (existing === undefined) target.series[key] = values.slice();
    else for (let i = 0; i < values.length; i++) existing[i] = (existing[i] ?? 0) + (values[i] as number);
  }
}

/** Adds snapshots from several workers into one (counters summed, recent requests merged by time). */
export function mergeStats(snapshots: readonly StatsSnapshot[]): StatsSnapshot {
  const merged = emptySnapshot(0);
  for (const snapshot of snapshots) {
    merged.at = Math.max(merged.at, snapshot.at);
    for (const kind of ['entryPoints', 'routers', 'services', 'servers'] as const) {
      for (const [name, slot] of Object.entries(snapshot[kind])) addSlot(merged[kind], name, slot);
    }
    merged.recent.push(...snapshot.recent);
  }
  merged.recent.sort((a, b) => a.time - b.time);
  return merged;
}
