/**
 * The Prometheus exporter (`prometheus@internal`, `/metrics`): Traefik's metric set with the
 * `switchyard_` prefix, on its own prom-client Registry. Nothing is incremented per request:
 * each metric is a collector that reads the data plane's cumulative counters at scrape time
 * (from one process now, from the merged worker snapshots later), so recording stays a few
 * typed-array additions.
 *
 * To keep dashboards written for Traefik, rename at scrape time in Prometheus:
 *   metric_relabel_configs: [{ source_labels: [__name__], regex: 'switchyard_(.*)',
 *                              target_label: __name__, replacement: 'traefik_$1' }]
 */
import { createRequire } from 'node:module';
import type { Metric, Registry } from 'prom-client';
import type { PrometheusConfig } from '../config/static-schema.js';
import { lastResortCounts } from '../core/last-resort.js';
import { qualify } from '../core/names.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import type { TcpCounters } from '../tcp/stats.js';
import type { LiveView } from './live-stats.js';
import {
  C_RETRIES,
  S_BUCKETS,
  S_BYTES_IN,
  S_BYTES_OUT,
  S_COUNT,
  S_DURATION_SECONDS,
  type SlotSnapshot,
  type StatsSnapshot,
  seriesLabels,
} from './stats-snapshot.js';

/** Metric name prefix (Traefik's is `traefik_`). */
export const PREFIX = 'switchyard_';

type Labels = Record<string, string | number>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}
interface Collected {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/** What the exporter reads at scrape time. */
export interface PrometheusSources extends LiveView {
  /** Cumulative counters (not draining the recent-requests ring). */
  counters(): StatsSnapshot;
  readonly reloads: number;
  readonly lastReloadAt: Date | null;
  /** Open client connections per entry point. */
  openConnections(): Promise<Map<string, number>>;
}

/** A metric whose samples are computed when Prometheus scrapes. */
class CollectedMetric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Collected['type'],
    private readonly collect: () => Sample[] | Promise<Sample[]>,
  ) {}

  async get(): Promise<Collected> {
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: await this.collect() };
  }

  reset(): void {
    // Values come from the recorder; there is nothing to reset here.
  }
}

/** Builds the registry of every Switchyard metric. */
export function createPrometheusRegistry(config: PrometheusConfig, sources: PrometheusSources): Registry {
  // prom-client (and the OpenTelemetry API it pulls in) is loaded only when metrics are on:
  // about 10 MiB of a proxy's resident memory otherwise spent on nothing.
  const { Registry } = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const registry = new Registry();
  const buckets = config.buckets;
  // One snapshot serves every metric of a scrape (they are read within the same tick).
  let cached: { at: number; snapshot: StatsSnapshot } | null = null;
  const counters = (): StatsSnapshot => {
    const now = Date.now();
    if (cached === null || now - cached.at > 50) cached = { at: now, snapshot: sources.counters() };
    return cached.snapshot;
  };
  const add = (
    name: string,
    help: string,
    type: Collected['type'],
    collect: () => Sample[] | Promise<Sample[]>,
  ): void => {
    registry.registerMetric(new CollectedMetric(PREFIX + name, help, type, collect) as unknown as Metric);
  };

  add('config_reloads_total', 'Config reloads', 'counter', () => [{ labels: {}, value: sources.reloads }]);
  add('config_last_reload_success', 'Last config reload success (Unix time, seconds)', 'gauge', () => [
    { labels: {}, value: sources.lastReloadAt === null ? 0 : sources.lastReloadAt.getTime() / 1000 },
  ]);
  // Switchyard's own: defects caught on the request path instead of crashing the process
  // (core/last-resort.ts). Anything above 0 is a bug worth a report.
  add('errors_caught_total', 'Errors caught by the last-resort guards, by where they were caught', 'counter', () => [
    { labels: { where: 'request_path' }, value: lastResortCounts.atBoundary },
    { labels: { where: 'process' }, value: lastResortCounts.uncaught },
  ]);
  add('open_connections', 'How many open connections exist, by entry point', 'gauge', async () =>
    [...(await sources.openConnections())].map(([entrypoint, value]) => ({ labels: { entrypoint }, value })),
  );
  // TCP and UDP routing (Switchyard's own names: Traefik exports no per-connection TCP metrics).
  const tcp = sources.tcpStats;
  if (tcp !== undefined) {
    const family = (prefix: string, label: string, map: () => ReadonlyMap<string, TcpCounters>, what: string) => {
      const samples = (pick: (c: TcpCounters) => number) => () =>
        [...map()].map(([name, counters]) => ({ labels: { [label]: name }, value: pick(counters) }));
      add(
        `${prefix}_total`,
        `${what} taken`,
        'counter',
        samples((c) => c.connections),
      );
      add(
        `${prefix}_open`,
        `${what} open now`,
        'gauge',
        samples((c) => c.open),
      );
      add(
        `${prefix}_bytes_in_total`,
        `Bytes from clients, ${what.toLowerCase()} closed`,
        'counter',
        samples((c) => c.bytesIn),
      );
      add(
        `${prefix}_bytes_out_total`,
        `Bytes to clients, ${what.toLowerCase()} closed`,
        'counter',
        samples((c) => c.bytesOut),
      );
      add(
        `${prefix}_duration_seconds_total`,
        `Time ${what.toLowerCase()} stayed open`,
        'counter',
        samples((c) => c.durationSeconds),
      );
      add(
        `${prefix}_failures_total`,
        `${what} that reached no server`,
        'counter',
        samples((c) => c.failures),
      );
    };
    family('tcp_router_connections', 'router', () => tcp.routers, 'TCP connections');
    family('tcp_service_connections', 'service', () => tcp.services, 'TCP connections');
    family('udp_router_sessions', 'router', () => tcp.udpRouters, 'UDP sessions');
  }

  const families: Array<{
    scope: 'entrypoint' | 'router' | 'service';
    enabled: boolean;
    slots: (s: StatsSnapshot) => Record<string, SlotSnapshot>;
    labels: (name: string) => Labels;
  }> = [
    {
      scope: 'entrypoint',
      enabled: config.addEntryPointsLabels,
      slots: (s) => s.entryPoints,
      labels: (name) => ({ entrypoint: name }),
    },
    {
      scope: 'router',
      enabled: config.addRoutersLabels,
      slots: (s) => s.routers,
      labels: (name) => ({ router: name, service: routerService(sources.runtime, name) }),
    },
    {
      scope: 'service',
      enabled: config.addServicesLabels,
      slots: (s) => s.services,
      labels: (name) => ({ service: name }),
    },
  ];
  for (const family of families) {
    if (!family.enabled) continue;
    const { scope } = family;
    const each = (pick: (series: number[], labels: Labels) => Sample[]): Sample[] => {
      const out: Sample[] = [];
      for (const [name, slot] of Object.entries(family.slots(counters()))) {
        const base = family.labels(name);
        for (const [key, series] of Object.entries(slot.series)) {
          out.push(...pick(series, { ...seriesLabels(Number(key)), ...base }));
        }
      }
      return out;
    };
    add(`${scope}_requests_total`, `How many HTTP requests processed, by ${scope}`, 'counter', () =>
      each((s, labels) => [{ labels, value: s[S_COUNT] ?? 0 }]),
    );
    add(`${scope}_request_duration_seconds`, `How long it took to process the request, by ${scope}`, 'histogram', () =>
      each((s, labels) => histogram(`${PREFIX}${scope}_request_duration_seconds`, buckets, s, labels)),
    );
    add(`${scope}_requests_bytes_total`, `The total size of requests in bytes, by ${scope}`, 'counter', () =>
      each((s, labels) => [{ labels, value: s[S_BYTES_IN] ?? 0 }]),
    );
    add(`${scope}_responses_bytes_total`, `The total size of responses in bytes, by ${scope}`, 'counter', () =>
      each((s, labels) => [{ labels, value: s[S_BYTES_OUT] ?? 0 }]),
    );
  }
  if (config.addServicesLabels) {
    add('service_retries_total', 'How many request retries happened, by service', 'counter', () =>
      Object.entries(counters().services).map(([service, slot]) => ({
        labels: { service },
        value: slot.counts[C_RETRIES] ?? 0,
      })),
    );
    add('service_server_up', 'Current service server status, 0 for a down or 1 for up', 'gauge', () => {
      const out: Sample[] = [];
      const now = Date.now();
      for (const service of sources.runtime.services.values()) {
        for (const server of service.config?.loadBalancer?.servers ?? []) {
          const state = sources.upstreams.peek(server.url);
          const up = state === undefined || state.available(now);
          out.push({ labels: { service: service.name, url: server.url }, value: up ? 1 : 0 });
        }
      }
      return out;
    });
  }
  return registry;
}

/** Cumulative `_bucket`, `_sum` and `_count` samples of one series. */
function histogram(name: string, bounds: readonly number[], series: number[], labels: Labels): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += series[S_BUCKETS + i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bounds[i] as number }, value: cumulative });
  }
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: series[S_COUNT] ?? 0 });
  out.push({ metricName: `${name}_sum`, labels, value: series[S_DURATION_SECONDS] ?? 0 });
  out.push({ metricName: `${name}_count`, labels, value: series[S_COUNT] ?? 0 });
  return out;
}

function routerService(runtime: RuntimeConfiguration, name: string): string {
  const router = runtime.routers.get(name);
  return router?.config?.service === undefined ? '' : qualify(router.config.service, router.provider);
}
