/**
 * The primary's view of the workers' statistics: the latest cumulative snapshot of each running
 * worker, plus the counters of workers that exited (so totals never go backwards when a worker
 * is replaced), plus the recent requests not yet handed to the live statistics.
 */
import type { LiveView } from '../../metrics/live-stats.js';
import { namesInUse } from '../../metrics/live-stats.js';
import {
  C_REQUESTS,
  emptySnapshot,
  mergeStats,
  type RecentRequest,
  type StatsSnapshot,
} from '../../metrics/stats-snapshot.js';
import type { RemoteStatistics } from '../../metrics/telemetry.js';
import type { StatsMessage } from './protocol.js';

/** Recent requests kept between two drains. */
const PENDING_MAX = 1024;

/** Sum of the requests counted on every entry point of a snapshot. */
export function totalRequests(stats: StatsSnapshot): number {
  let total = 0;
  for (const slot of Object.values(stats.entryPoints)) total += slot.counts[C_REQUESTS] ?? 0;
  return total;
}

/** Merged statistics of every worker, past and present. */
export class WorkerStatistics implements RemoteStatistics {
  /** Latest report per running worker process (by pid). */
  private readonly latest = new Map<number, StatsMessage>();
  private retired: StatsSnapshot = emptySnapshot(0);
  private pending: RecentRequest[] = [];

  constructor(private readonly entryPointNames: readonly string[]) {}

  /** Takes a worker's report; its recent requests move to the pending list at once. */
  report(pid: number, message: StatsMessage): void {
    const recent = message.stats.recent;
    if (recent.length > 0) {
      this.pending.push(...recent);
      if (this.pending.length > PENDING_MAX) this.pending.splice(0, this.pending.length - PENDING_MAX);
    }
    this.latest.set(pid, { ...message, stats: { ...message.stats, recent: [] } });
  }

  /** The latest report of a running worker. */
  of(pid: number): StatsMessage | undefined {
    return this.latest.get(pid);
  }

  /** A worker is gone: its last counters join the retired totals (its last second may be lost). */
  retire(pid: number): void {
    const last = this.latest.get(pid);
    if (last === undefined) return;
    this.latest.delete(pid);
    this.retired = mergeStats([this.retired, last.stats]);
  }

  /** Forgets retired counters of objects the configuration no longer has (as the recorders do). */
  prune(view: LiveView): void {
    const keep = namesInUse(view);
    const kinds = [
      ['routers', keep.routers],
      ['services', keep.services],
      ['servers', keep.servers],
    ] as const;
    for (const [kind, names] of kinds) {
      for (const name of Object.keys(this.retired[kind])) if (!names.has(name)) delete this.retired[kind][name];
    }
  }

  snapshot(drainRecent: boolean): StatsSnapshot {
    const merged = mergeStats([this.retired, ...[...this.latest.values()].map((m) => m.stats)]);
    if (drainRecent) {
      merged.recent = this.pending.sort((a, b) => a.time - b.time);
      this.pending = [];
    }
    return merged;
  }

  inFlight(): ReadonlyMap<string, number> {
    return this.sum('inFlight');
  }

  connections(): ReadonlyMap<string, number> {
    return this.sum('connections');
  }

  private sum(field: 'inFlight' | 'connections'): Map<string, number> {
    const out = new Map<string, number>();
    for (const name of this.entryPointNames) out.set(name, 0);
    for (const message of this.latest.values()) {
      for (const [name, value] of Object.entries(message[field])) out.set(name, (out.get(name) ?? 0) + value);
    }
    return out;
  }
}
