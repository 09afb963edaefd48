/**
 * Wires the data-plane recorder, the access log, the live statistics and the Prometheus
 * registry for one process: one observer for the entry points, and the control-plane parts
 * attached to the running Switchyard (pruning on reload, flushing on stop).
 */
import type { Registry } from 'prom-client';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import type { RequestContext } from '../core/request-context.js';
import type { RequestObserver } from '../server/entry-point.js';
import type { Switchyard } from '../server/switchyard.js';
import { AccessLog } from './access-log.js';
import { LiveStats, type LiveView, namesInUse } from './live-stats.js';
import { createPrometheusRegistry } from './prometheus.js';
import { StatsRecorder } from './stats-recorder.js';
import { mergeStats, type StatsSnapshot } from './stats-snapshot.js';

/**
 * Statistics of data-plane processes other than this one (worker processes), added to this
 * process's own figures so the API, the dashboard and `/metrics` show one proxy.
 */
export interface RemoteStatistics {
  /** Their cumulative counters, merged; with `drainRecent`, also the requests finished since the last drain. */
  snapshot(drainRecent: boolean): StatsSnapshot;
  /** Requests in flight per entry point they serve. */
  inFlight(): ReadonlyMap<string, number>;
  /** Open client connections per entry point they serve. */
  connections(): ReadonlyMap<string, number>;
}

/** The process's statistics, access log and metrics. */
export class Telemetry {
  readonly recorder: StatsRecorder;
  readonly accessLog: AccessLog | null;
  /** The entry points' observer: records statistics, then the access log line. */
  readonly observer: RequestObserver;
  private liveStats: LiveStats | null = null;
  private registry: Registry | null = null;
  private remote: RemoteStatistics | null = null;

  constructor(
    private readonly config: StaticConfiguration,
    logger: Logger,
  ) {
    const prometheus = config.metrics.prometheus;
    this.recorder = new StatsRecorder({
      promBuckets: prometheus?.buckets ?? [],
      entryPointSeries: prometheus?.addEntryPointsLabels ?? false,
      routerSeries: prometheus?.addRoutersLabels ?? false,
      serviceSeries: prometheus?.addServicesLabels ?? false,
    });
    this.accessLog = config.accessLog === undefined ? null : new AccessLog(config.accessLog, logger);
    const recorder = this.recorder;
    const accessLog = this.accessLog;
    this.observer =
      accessLog === null
        ? (ctx, startedAt, bytesOut, bytesIn) => recorder.record(ctx, startedAt, bytesOut, bytesIn)
        : (ctx: RequestContext, startedAt: number, bytesOut: number, bytesIn: number) => {
            recorder.record(ctx, startedAt, bytesOut, bytesIn);
            accessLog.record(ctx, startedAt, bytesOut, bytesIn);
          };
  }

  /** Adds the statistics of worker processes to this process's own (read at every tick and scrape). */
  addRemote(remote: RemoteStatistics): void {
    this.remote = remote;
  }

  /** This process's counters plus the remote ones, if any. */
  snapshot(drainRecent: boolean): StatsSnapshot {
    const local = this.recorder.snapshot(drainRecent);
    return this.remote === null ? local : mergeStats([local, this.remote.snapshot(drainRecent)]);
  }

  /** Attaches the control-plane parts to the running process. */
  attach(app: Switchyard): void {
    const telemetry = this;
    // Entry points served by workers count too (their in-flight requests come with their statistics).
    const view: LiveView = {
      get runtime() {
        return app.runtime;
      },
      upstreams: app.upstreams,
      get entryPoints() {
        return telemetry.entryPointsView(app);
      },
      tcpStats: app.tcpStats,
    };
    const live = new LiveStats((drain) => this.snapshot(drain), view);
    this.liveStats = live;
    live.start();
    app.onReload(() => this.recorder.prune(namesInUse(app)));
    app.onStop(async () => {
      live.stop();
      await this.accessLog?.close();
    });
    const prometheus = this.config.metrics.prometheus;
    if (prometheus !== undefined) {
      this.registry = createPrometheusRegistry(prometheus, {
        get runtime() {
          return app.runtime;
        },
        upstreams: app.upstreams,
        get entryPoints() {
          return telemetry.entryPointsView(app);
        },
        tcpStats: app.tcpStats,
        counters: () => this.snapshot(false),
        get reloads() {
          return app.reloads;
        },
        get lastReloadAt() {
          return app.lastReloadAt;
        },
        openConnections: async () => {
          const out = new Map<string, number>();
          for (const [name, entryPoint] of app.entryPoints) out.set(name, entryPoint.openConnections);
          for (const [name, count] of this.remote?.connections() ?? []) out.set(name, (out.get(name) ?? 0) + count);
          return out;
        },
      });
    }
  }

  /** In-flight requests per entry point, this process's and the workers'. */
  private entryPointsView(app: Switchyard): ReadonlyMap<string, { readonly inFlight: number }> {
    if (this.remote === null) return app.entryPoints;
    const out = new Map<string, { inFlight: number }>();
    for (const [name, entryPoint] of app.entryPoints) out.set(name, { inFlight: entryPoint.inFlight });
    for (const [name, inFlight] of this.remote.inFlight()) {
      out.set(name, { inFlight: (out.get(name)?.inFlight ?? 0) + inFlight });
    }
    return out;
  }

  /** The live statistics (after `attach`). */
  get live(): LiveStats {
    if (this.liveStats === null) throw new Error('telemetry is not attached to a Switchyard yet');
    return this.liveStats;
  }

  /** The Prometheus registry, or null when `metrics.prometheus` is off. */
  get prometheus(): Registry | null {
    return this.registry;
  }
}
