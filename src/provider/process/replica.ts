/**
 * One replica of a process service (`dynamic-server-2`), across restarts: spawn on a fresh port,
 * probe until ready, restart with back-off after a crash, and stop gracefully (drain first, then
 * SIGTERM to its process group, SIGKILL after a timeout).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ProcessServiceSpec } from './compose-file.js';
import type { OutputMultiplexer } from './log-prefix.js';
import type { OrphanGuard } from './orphan-guard.js';
import { probeReady } from './readiness.js';

/** Where a replica is in its life. Only `running` replicas receive traffic. */
export type ReplicaState = 'starting' | 'running' | 'draining' | 'stopped' | 'crashed';

/** What a replica needs from its supervisor. */
export interface ReplicaHooks {
  project: string;
  allocatePort(): Promise<number>;
  output: OutputMultiplexer;
  guard: OrphanGuard;
  /** The state changed: publish a new snapshot. */
  changed(replica: Replica): void;
  /** Takes the URL out of rotation at once and resolves when its in-flight requests are done (or a deadline). */
  drain(url: string): Promise<void>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  stopTimeoutMs: number;
}

/** How the last process of a replica ended. */
export interface ReplicaExit {
  code: number | null;
  signal: string | null;
  at: string;
}

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** A replica that ran this long before crashing is considered healthy again: back-off restarts at 1 s. */
const STABLE_MS = 10_000;
const SLOW_START_MS = 30_000;

/** Replaces `{port}`, `{index}`, `{service}`, `{project}`, `{id}`; other braces are left alone. */
export function substitute(template: string, values: Record<string, string>): string {
  return template.replace(/\{(port|index|service|project|id)\}/g, (_, key: string) => values[key] as string);
}

/** A supervised replica. */
export class Replica {
  readonly id: string;
  state: ReplicaState = 'stopped';
  pid: number | undefined;
  port: number | undefined;
  restarts = 0;
  /** When the current process was spawned (ms since epoch). */
  startedAt: number | undefined;
  lastExit: ReplicaExit | undefined;
  nextRestartAt: number | undefined;
  /** Set when scaling down: the supervisor forgets the replica once it has stopped. */
  removing = false;

  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private consecutiveCrashes = 0;
  /** Bumped by every start and stop, so an outdated launch or probe loop gives up. */
  private generation = 0;
  private wanted = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly spec: ProcessServiceSpec,
    readonly index: number,
    private readonly hooks: ReplicaHooks,
  ) {
    this.id = `${spec.name}-${index}`;
  }

  /** The URL the proxy forwards to, while a port is assigned. */
  get url(): string | undefined {
    return this.port === undefined ? undefined : `http://127.0.0.1:${this.port}`;
  }

  /** Whether the supervisor wants this replica up (it is, or it is starting or restarting). */
  get isWanted(): boolean {
    return this.wanted;
  }

  /** Starts the replica unless it already runs; waits for a stop in progress first. */
  async start(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (this.wanted && (this.child !== undefined || this.state === 'starting')) return;
    this.wanted = true;
    this.consecutiveCrashes = 0;
    this.clearRestart();
    void this.launch();
  }

  /** Drains (when running), then stops the process: SIGTERM, SIGKILL after `stopTimeoutMs`. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.wanted = false;
    this.generation++;
    this.clearRestart();
    this.stopping = this.shutdown().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Kills the process group at once (second Ctrl-C, fatal paths). */
  kill(): void {
    this.wanted = false;
    this.generation++;
    this.clearRestart();
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
  }

  private async shutdown(): Promise<void> {
    const child = this.child;
    if (child === undefined) {
      this.state = 'stopped';
      this.hooks.changed(this);
      return;
    }
    const url = this.url;
    if (this.state === 'running' && url !== undefined) {
      this.state = 'draining';
      this.hooks.changed(this);
      await this.hooks.drain(url);
    } else {
      this.state = 'draining';
      this.hooks.changed(this);
    }
    const pid = child.pid as number;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      this.hooks.log('warn', `${this.id} did not stop within ${this.hooks.stopTimeoutMs} ms: SIGKILL`);
      signalGroup(pid, 'SIGKILL');
    }, this.hooks.stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private async launch(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'starting';
    this.nextRestartAt = undefined;
    this.hooks.changed(this);
    let port: number;
    try {
      port = await this.hooks.allocatePort();
    } catch (error) {
      this.crashed(null, null, `no port: ${(error as Error).message}`);
      return;
    }
    if (generation !== this.generation) return;
    this.port = port;
    const values = {
      port: String(port),
      index: String(this.index),
      service: this.spec.name,
      project: this.hooks.project,
      id: this.id,
    };
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [key, template] of Object.entries(this.spec.env)) env[key] = substitute(template, values);
    const [program, ...args] = this.spec.argv.map((arg) => substitute(arg, values)) as [string, ...string[]];
    // Own process group (detached): Ctrl-C reaches `up` only, which drains before stopping us.
    const child = spawn(program, args, { cwd: this.spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    this.pid = child.pid;
    if (child.pid !== undefined) this.hooks.guard.track(child.pid);
    // One line buffer per stream, so a partial stdout line never swallows a stderr one.
    for (const stream of [child.stdout, child.stderr]) {
      const out = this.hooks.output.writer(this.id);
      stream?.on('data', (chunk: Buffer) => out.write(chunk));
      stream?.on('end', () => out.end());
    }
    let finished = false;
    this.exited = new Promise<void>((resolve) => {
      const finish = (code: number | null, signal: string | null, reason?: string) => {
        if (finished) return;
        finished = true;
        this.onExit(child, code, signal, reason);
        resolve();
      };
      child.once('exit', (code, signal) => finish(code, signal));
      // A spawn failure (ENOENT, EACCES) may come without an 'exit'.
      child.once('error', (error) => finish(null, null, error.message));
    });
    await this.waitReady(child, port, generation);
  }

  private async waitReady(child: ChildProcess, port: number, generation: number): Promise<void> {
    const began = Date.now();
    let warned = false;
    let delay = 25;
    while (generation === this.generation && this.child === child && child.exitCode === null) {
      if (await probeReady(port, this.spec.readiness)) {
        if (generation !== this.generation || this.child !== child) return;
        this.state = 'running';
        this.hooks.changed(this);
        return;
      }
      if (!warned && Date.now() - began > SLOW_START_MS) {
        warned = true;
        this.hooks.log(
          'warn',
          `${this.id} is not ready on port ${port} after ${SLOW_START_MS / 1000} s; still waiting`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 250);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null, reason?: string): void {
    if (child.pid !== undefined) {
      this.hooks.guard.untrack(child.pid);
      // Whatever the leader left behind in its group is orphaned: clean it up.
      signalGroup(child.pid, 'SIGKILL');
    }
    if (this.child !== child) return;
    this.child = undefined;
    this.pid = undefined;
    this.lastExit = { code, signal, at: new Date().toISOString() };
    if (!this.wanted) {
      this.state = 'stopped';
      this.hooks.changed(this);
      return;
    }
    this.crashed(code, signal, reason);
  }

  private crashed(code: number | null, signal: string | null, reason?: string): void {
    const url = this.url;
    const ranFor = Date.now() - (this.startedAt ?? Date.now());
    if (ranFor >= STABLE_MS) this.consecutiveCrashes = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.consecutiveCrashes);
    this.consecutiveCrashes++;
    this.state = 'crashed';
    this.nextRestartAt = Date.now() + delay;
    if (url !== undefined) void this.hooks.drain(url);
    this.hooks.changed(this);
    const how = reason ?? (signal !== null ? `killed by ${signal}` : `exited with code ${code}`);
    this.hooks.log('warn', `${this.id} ${how}; restarting in ${(delay / 1000).toFixed(0)} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.wanted) return;
      this.restarts++;
      void this.launch();
    }, delay);
  }

  private clearRestart(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.nextRestartAt = undefined;
    if (this.state === 'crashed') this.state = 'stopped';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
