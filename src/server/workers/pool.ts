/**
 * The primary's side of `--workers N`: forks N data-plane workers through node:cluster, feeds
 * them the provider snapshots on every reload and the health set whenever an active health check
 * changes it (the upstream events, coalesced to one message per turn of the event loop), collects
 * their statistics, restarts a worker that dies (with back-off), and drains them all on stop.
 *
 * Listening sockets are shared with `SCHED_NONE`: the primary binds each address once and
 * hands the same socket to every worker, which all accept on it, so the kernel spreads the
 * connections and no byte of traffic goes through the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ChallengeSnapshot } from '../../acme/index.js';
import type { InternalApi } from '../../api/internal-api.js';
import type { StaticConfiguration } from '../../config/static-schema.js';
import type { Logger } from '../../core/logger.js';
import type { ManagedAcme } from '../managed-acme.js';
import type { Switchyard } from '../switchyard.js';
import { type FromWorker, isMessage, type StatsMessage, type ToWorker } from './protocol.js';
import { totalRequests, WorkerStatistics } from './worker-stats.js';

/** First restart delay, doubled after each quick failure up to RESTART_MAX_MS. */
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying resets the back-off. */
const STABLE_MS = 10_000;
/** Time a worker gets to start listening. */
const START_TIMEOUT_MS = 30_000;
/** Longest an ACME order waits for the workers to have a challenge's answer. */
const ACME_ACK_TIMEOUT_MS = 5_000;
/** Time beyond the grace period before a stopping worker is killed. */
const STOP_MARGIN_MS = 5_000;

type SlotState = 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped';

/** One worker position: its current process and its history. */
interface Slot {
  id: number;
  worker: Worker | null;
  state: SlotState;
  startedAt: number;
  restarts: number;
  quickFailures: number;
  restartTimer: NodeJS.Timeout | null;
  /** Settles the first start (startup fails if a worker cannot listen). */
  onFirstStart: ((error: Error | null) => void) | null;
}

/** A worker as `/api/workers` shows it. */
export interface WorkerInfo {
  id: number;
  pid: number | null;
  state: SlotState;
  startedAt: string;
  restarts: number;
  /** Requests this process served (since it started). */
  requests: number;
  inFlight: number;
}

/** Where the worker entry file is (TypeScript under tsx, JavaScript once built). */
function workerEntry(): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./worker-main.${extension}`, import.meta.url));
}

/** The data-plane workers of one primary. */
export class WorkerPool {
  readonly statistics: WorkerStatistics;
  private readonly slots: Slot[] = [];
  private app: Switchyard | null = null;
  private stopping = false;
  /** Stops listening to health changes (on stop). */
  private unlistenHealth: (() => void) | null = null;
  /** A health push is scheduled for the end of this turn of the event loop. */
  private healthPending = false;
  private lastDown = '';
  /** The primary's ACME resolvers (with `certificatesResolvers`): workers serve what they hold. */
  private acme: ManagedAcme | undefined;
  private acmeSeq = 0;
  /** Challenge pushes waiting for acknowledgements: seq → workers (pids) yet to answer, and the resolver. */
  private readonly acmeWaits = new Map<number, { pending: Set<number>; done: () => void }>();

  constructor(
    private readonly config: StaticConfiguration,
    private readonly logger: Logger,
    private readonly count: number,
    /** Entry points the workers serve, and those the primary keeps. */
    private readonly entryPoints: { workers: string[]; primary: string[] },
    private readonly graceMs: number,
  ) {
    this.statistics = new WorkerStatistics(entryPoints.workers);
  }

  /** Follows the primary's reloads and health, and adds `/api/workers` to the API (ignored when it is off). */
  attach(app: Switchyard, api: InternalApi): void {
    this.app = app;
    app.onReload(() => {
      this.statistics.prune(app);
      const down = this.downServers();
      this.lastDown = down.join('\n');
      this.broadcast({ type: 'config', snapshots: this.snapshots(), down });
    });
    // Workers run no checks of their own; a sync after a reload flips many servers at once, so
    // the changes of one turn are sent as one message.
    this.unlistenHealth = app.upstreams.events.on((change) => {
      if (change.cause !== 'active-health' || this.healthPending) return;
      this.healthPending = true;
      setImmediate(() => {
        this.healthPending = false;
        this.pushHealth();
      });
    });
    api.route('GET', '/api/workers', () => this.describe());
    // Only the primary's resolvers (ManagedAcme, which has a manager) feed the workers.
    if (app.options.acme !== undefined && 'manager' in app.options.acme) {
      const acme = app.options.acme as ManagedAcme;
      this.acme = acme;
      acme.onCertificates((resolver, entries) => this.broadcast({ type: 'acme-certificates', resolver, entries }));
      acme.manager.onChallenges((challenges) => this.pushChallenges(challenges));
    }
    if (this.config.accessLog?.filePath !== undefined) {
      // Log rotation signals the primary; every worker writes the access log too.
      process.on('SIGUSR1', () => {
        for (const slot of this.slots) slot.worker?.process.kill('SIGUSR1');
      });
    }
    // Last resort if the primary exits without stopping the pool (workers also exit when
    // their IPC channel closes).
    process.once('exit', () => {
      for (const slot of this.slots) if (slot.worker?.isDead() === false) slot.worker.process.kill('SIGKILL');
    });
  }

  /** Forks every worker; resolves once all listen, rejects if one cannot. */
  async start(): Promise<void> {
    // Must be set before the first fork; NODE_CLUSTER_SCHED_POLICY=rr selects the alternative.
    cluster.schedulingPolicy = process.env.NODE_CLUSTER_SCHED_POLICY === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: workerEntry(), args: [], serialization: 'advanced' });
    const started: Promise<void>[] = [];
    for (let id = 1; id <= this.count; id++) {
      const slot: Slot = {
        id,
        worker: null,
        state: 'starting',
        startedAt: Date.now(),
        restarts: 0,
        quickFailures: 0,
        restartTimer: null,
        onFirstStart: null,
      };
      this.slots.push(slot);
      started.push(
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => slot.onFirstStart?.(new Error(`worker ${id} did not start within ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
          timer.unref();
          slot.onFirstStart = (error) => {
            clearTimeout(timer);
            slot.onFirstStart = null;
            if (error === null) resolve();
            else reject(error);
          };
        }),
      );
      this.fork(slot);
    }
    try {
      await Promise.all(started);
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** Drains every worker (each stops accepting and finishes its requests), then resolves. */
  async stop(graceMs = this.graceMs): Promise<void> {
    this.stopping = true;
    this.unlistenHealth?.();
    this.unlistenHealth = null;
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      const worker = slot.worker;
      if (worker === null || worker.isDead()) {
        slot.state = 'stopped';
        continue;
      }
      slot.state = 'stopping';
      exits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + STOP_MARGIN_MS);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          this.send(worker, { type: 'stop', graceMs });
        }),
      );
    }
    await Promise.all(exits);
  }

  /** Every worker slot, for `/api/workers`. */
  describe(): WorkerInfo[] {
    return this.slots.map((slot) => {
      const pid = slot.worker?.process.pid ?? null;
      const report: StatsMessage | undefined = pid === null ? undefined : this.statistics.of(pid);
      let inFlight = 0;
      for (const value of Object.values(report?.inFlight ?? {})) inFlight += value;
      return {
        id: slot.id,
        pid,
        state: slot.state,
        startedAt: new Date(slot.startedAt).toISOString(),
        restarts: slot.restarts,
        requests: report === undefined ? 0 : totalRequests(report.stats),
        inFlight,
      };
    });
  }

  private fork(slot: Slot): void {
    slot.state = slot.restarts === 0 ? 'starting' : 'restarting';
    slot.startedAt = Date.now();
    const worker = cluster.fork({ SWITCHYARD_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    const pid = worker.process.pid ?? 0;
    let failure: string | null = null;
    worker.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      const m = message as FromWorker;
      if (m.type === 'hello') {
        // Made by the primary's start, before any worker is forked.
        const defaultCertificate = this.app?.certificates.generatedCertificate ?? null;
        this.send(worker, {
          type: 'init',
          id: slot.id,
          config: this.config,
          entryPoints: this.entryPoints.workers,
          remoteEntryPoints: this.entryPoints.primary,
          snapshots: this.snapshots(),
          down: this.downServers(),
          graceMs: this.graceMs,
          ...(defaultCertificate === null ? {} : { defaultCertificate }),
          ...(this.acme === undefined
            ? {}
            : {
                acme: {
                  certificates: this.acme.certificates(),
                  challenges: this.acme.manager.challengeSnapshot(),
                },
              }),
        });
      } else if (m.type === 'ready') {
        if (slot.worker !== worker) return;
        slot.state = this.stopping ? 'stopping' : 'ready';
        this.logger.info({ worker: slot.id, pid, ports: m.ports }, 'worker listening');
        slot.onFirstStart?.(null);
      } else if (m.type === 'acme-ack') {
        const wait = this.acmeWaits.get(m.seq);
        wait?.pending.delete(pid);
        if (wait?.pending.size === 0) wait.done();
      } else if (m.type === 'stats') {
        this.statistics.report(pid, m);
      } else if (m.type === 'failed') {
        failure = `${m.message}${m.location ? ` (${m.location})` : ''}`;
        const error = Object.assign(new Error(m.message), { code: m.code, location: m.location });
        slot.onFirstStart?.(error);
      }
    });
    // The channel closes after the last message is read: the final statistics are in by then.
    worker.once('disconnect', () => this.statistics.retire(pid));
    worker.once('exit', (code: number | null, signal: string | null) => {
      for (const wait of this.acmeWaits.values()) {
        wait.pending.delete(pid);
        if (wait.pending.size === 0) wait.done();
      }
      if (slot.worker !== worker) return;
      slot.worker = null;
      if (this.stopping) {
        slot.state = 'stopped';
        slot.onFirstStart?.(new Error(`worker ${slot.id} stopped before listening`));
        return;
      }
      const error = new Error(failure ?? `worker ${slot.id} exited before listening (code ${code}, signal ${signal})`);
      if (slot.onFirstStart !== null) {
        slot.state = 'stopped';
        slot.onFirstStart(error);
        return;
      }
      const lived = Date.now() - slot.startedAt;
      slot.quickFailures = lived >= STABLE_MS ? 0 : slot.quickFailures + 1;
      const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.max(0, slot.quickFailures - 1));
      slot.state = 'restarting';
      this.logger.error(
        { worker: slot.id, pid, code, signal, reason: failure ?? undefined, restartInMs: delay },
        'worker exited unexpectedly; restarting it',
      );
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = null;
        if (this.stopping) return;
        slot.restarts++;
        this.fork(slot);
      }, delay);
    });
  }

  /** The snapshots workers build from (the internal routers stay with the primary). */
  private snapshots() {
    return (this.app?.watcher.current() ?? []).filter((snapshot) => snapshot.provider !== 'internal');
  }

  /** Server URLs whose active health check says DOWN, sorted. */
  private downServers(): string[] {
    const down: string[] = [];
    for (const state of this.app?.upstreams.all() ?? []) if (state.activeHealth === 'DOWN') down.push(state.url);
    return down.sort();
  }

  private pushHealth(): void {
    const down = this.downServers();
    const key = down.join('\n');
    if (key === this.lastDown) return;
    this.lastDown = key;
    this.broadcast({ type: 'health', down });
  }

  /**
   * Sends the ACME challenges in progress to every worker and resolves once each has them (or
   * after ACME_ACK_TIMEOUT_MS): the CA validates against whichever process accepts its connection.
   * A worker forked meanwhile gets them in its `init`.
   */
  private pushChallenges(challenges: ChallengeSnapshot): Promise<void> {
    const seq = ++this.acmeSeq;
    const pending = new Set<number>();
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (worker === null || !worker.isConnected()) continue;
      pending.add(worker.process.pid ?? 0);
      this.send(worker, { type: 'acme-challenges', seq, challenges });
    }
    if (pending.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn({ workers: [...pending] }, 'workers did not acknowledge the ACME challenges in time');
        done();
      }, ACME_ACK_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.acmeWaits.delete(seq);
        resolve();
      };
      this.acmeWaits.set(seq, { pending, done });
    });
  }

  private broadcast(message: ToWorker): void {
    if (this.stopping) return;
    for (const slot of this.slots) if (slot.worker !== null) this.send(slot.worker, message);
  }

  private send(worker: Worker, message: ToWorker): void {
    if (!worker.isConnected()) return;
    worker.send(message, undefined, (error: Error | null) => {
      if (error) this.logger.debug({ err: error.message }, 'message to a worker lost');
    });
  }
}
