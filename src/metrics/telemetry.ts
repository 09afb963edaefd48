/**
 * Wires the data-plane recorder, the access log, the live statistics and the Prometheus
 * registry for one process: one observer for the entry points, and the control-plane parts
 * attached to the running Switchyard (pruning on reload, flushing on stop).
 */
import type { Registry } from 'prom-client';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { RequestContext } from '../middlewares/types.js';
import type { RequestObserver } from '../server/entry-point.js';
import type { Switchyard } from '../server/switchyard.js';
import type { Logger } from '../server/watcher.js';
import { AccessLog } from './access-log.js';
import { LiveStats, namesInUse } from './live-stats.js';
import { createPrometheusRegistry } from './prometheus.js';
import { StatsRecorder } from './stats-recorder.js';

/** The process's statistics, access log and metrics. */
export class Telemetry {
  readonly recorder: StatsRecorder;
  readonly accessLog: AccessLog | null;
  /** The entry points' observer: records statistics, then the access log line. */
  readonly observer: RequestObserver;
  private liveStats: LiveStats | null = null;
  private registry: Registry | null = null;

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

  /** Attaches the control-plane parts to the running process. */
  attach(app: Switchyard): void {
    const live = new LiveStats((drain) => this.recorder.snapshot(drain), app);
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
        entryPoints: app.entryPoints,
        counters: () => this.recorder.snapshot(false),
        get reloads() {
          return app.reloads;
        },
        get lastReloadAt() {
          return app.lastReloadAt;
        },
        openConnections: async () => {
          const out = new Map<string, number>();
          for (const [name, entryPoint] of app.entryPoints) {
            out.set(
              name,
              await new Promise<number>((resolve) =>
                entryPoint.server.getConnections((error, count) => resolve(error ? 0 : count)),
              ),
            );
          }
          return out;
        },
      });
    }
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
