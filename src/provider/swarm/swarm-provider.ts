/**
 * The Swarm provider (Traefik v3's `providers.swarm`): lists services, their tasks and the
 * networks from a swarm manager, translates them with the neutral label builder, and publishes.
 *
 * Swarm has no event stream covering every change (task state changes are not events), so the
 * provider lists everything every `refreshSeconds` (Traefik's default 15 s) and, with `watch`,
 * also at once on the events that do exist: service create/update/remove (a `docker service
 * scale` or `update` is one) and the local node's container events (a task's container killed or
 * started). On scale-down Swarm first sets the leaving tasks' desired state to `shutdown`, then
 * stops their containers: the service `update` event lets the provider drop them before the
 * containers get SIGTERM, and their servers are announced to the drainer. What it cannot promise:
 * a task on another node that dies on its own is seen at the next list (its container events
 * reach only that node's daemon), and Swarm does not wait for our drain before stopping a task
 * (`stop_grace_period` is what gives requests time to finish).
 */
import Docker from 'dockerode';
import type { ServerDrains } from '../../balancer/drain.js';
import { ProviderError } from '../../errors.js';
import { resolveDockerEndpoint } from '../docker/endpoint.js';
import { drainAndLog } from '../drain-log.js';
import {
  buildLabelConfiguration,
  type CompiledLabelOptions,
  compileLabelOptions,
  type LabelTranslationOptions,
} from '../labels/build-configuration.js';
import { type Provider, type ProviderLogger, type ProviderSink, silentLogger } from '../provider.js';
import { serverUrls } from '../server-urls.js';
import type { SwarmNetwork, SwarmService, SwarmTask } from './swarm-api.js';
import { networkNames, workloadsFromSwarm } from './swarm-workload.js';

/** `providers.swarm`, plus what the process hands in. */
export interface SwarmProviderOptions extends LabelTranslationOptions {
  endpoint?: string | undefined;
  /** Full list period, ms (Traefik's `refreshSeconds`, default 15 s). */
  refreshMs?: number;
  watch?: boolean;
  logger?: ProviderLogger;
  env?: Record<string, string | undefined>;
  /** Quiet time after an event before listing (default 100 ms). */
  throttleMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** What a swarm manager answers, once. */
interface SwarmState {
  services: SwarmService[];
  tasks: SwarmTask[];
  networks: SwarmNetwork[];
}

export class SwarmProvider implements Provider {
  readonly name = 'swarm';
  private readonly endpoint: string;
  private readonly docker: Docker;
  private readonly translation: CompiledLabelOptions;
  private readonly logger: ProviderLogger;
  private readonly refreshMs: number;
  private readonly watch: boolean;
  private readonly throttleMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private sink: ProviderSink | undefined;
  private drains: ServerDrains | undefined;
  private stopped = false;
  private failing = false;
  private retryDelay: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private publishedUrls = new Set<string>();
  private lastWarnings = new Set<string>();

  /** Validates the options (endpoint, default rule, constraints): throws ConfigError when one is wrong. */
  constructor(options: SwarmProviderOptions = {}) {
    const connection = resolveDockerEndpoint(options.endpoint, options.env);
    this.endpoint = connection.endpoint;
    this.docker = new Docker(connection.options);
    this.translation = compileLabelOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.refreshMs = options.refreshMs ?? 15_000;
    this.watch = options.watch ?? true;
    this.throttleMs = options.throttleMs ?? 100;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
    this.retryDelay = this.backoff.initialMs;
  }

  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    await this.enqueue(() => this.connect());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.eventTimer);
    clearTimeout(this.retryTimer);
    this.closeStream();
    await this.queue;
  }

  async reload(): Promise<void> {
    await this.enqueue(() => this.refresh());
  }

  useDrains(drains: ServerDrains): void {
    this.drains = drains;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task, task);
    return this.queue;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.watch) await this.openEvents();
      await this.refresh(true);
    } catch (error) {
      this.lose(error);
    }
  }

  /** Lists and publishes; `rethrow` lets connect() handle the first failure. */
  private async refresh(rethrow = false): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    try {
      const state = await this.list();
      if (this.stopped) return;
      if (this.failing) this.logger.info(`connected to the swarm manager at ${this.endpoint} again`);
      this.failing = false;
      this.retryDelay = this.backoff.initialMs;
      this.publish(state);
      this.pollTimer = setTimeout(() => void this.enqueue(() => this.refresh()), this.refreshMs);
      this.pollTimer.unref();
    } catch (error) {
      if (rethrow) throw error;
      this.lose(error);
    }
  }

  private async list(): Promise<SwarmState> {
    const [services, tasks, networks] = await Promise.all([
      this.docker.listServices() as Promise<unknown> as Promise<SwarmService[]>,
      this.docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<unknown> as Promise<SwarmTask[]>,
      this.docker.listNetworks() as Promise<unknown> as Promise<SwarmNetwork[]>,
    ]);
    return { services, tasks, networks };
  }

  private publish(state: SwarmState): void {
    if (this.sink === undefined) return;
    const workloads = workloadsFromSwarm(state.services, state.tasks, networkNames(state.networks));
    const result = buildLabelConfiguration(workloads, this.translation);
    const warnings = new Set(result.warnings);
    for (const warning of warnings) if (!this.lastWarnings.has(warning)) this.logger.warn(warning);
    this.lastWarnings = warnings;
    this.sink.publish({ provider: this.name, config: result.config, issues: result.issues });
    const urls = serverUrls(result.config);
    const dropped = [...this.publishedUrls].filter((url) => !urls.has(url));
    this.publishedUrls = urls;
    // After the snapshot without them is out: the drainer takes them out of every balancer at once.
    const drains = this.drains;
    if (drains !== undefined) for (const url of dropped) void drainAndLog(drains, url, 'swarm task', this.logger);
  }

  private async openEvents(): Promise<void> {
    this.closeStream();
    const stream = (await this.docker.getEvents({
      filters: { type: ['service', 'container'] },
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    this.stream = stream;
    let pending = '';
    stream.on('data', (chunk: Buffer | string) => {
      // One JSON object per line; only whether something relevant happened matters.
      pending += chunk.toString();
      if (pending.length > 1_000_000) pending = '';
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.some((line) => this.relevant(line))) this.soon();
    });
    const ended = (error?: unknown) => {
      if (this.stream !== stream || this.stopped) return;
      this.lose(error ?? new Error('the event stream ended'));
    };
    stream.on('error', (error: unknown) => ended(error));
    stream.on('end', () => ended());
  }

  /** A service event, or a container event of a swarm task (its labels name the task). */
  private relevant(line: string): boolean {
    try {
      const event = JSON.parse(line) as { Type?: string; Actor?: { Attributes?: Record<string, string> } };
      if (event.Type === 'service') return true;
      return event.Type === 'container' && event.Actor?.Attributes?.['com.docker.swarm.task.id'] !== undefined;
    } catch {
      return false;
    }
  }

  private soon(): void {
    this.eventTimer ??= setTimeout(() => {
      this.eventTimer = undefined;
      void this.enqueue(() => this.refresh());
    }, this.throttleMs);
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.removeAllListeners();
    stream?.on('error', () => undefined);
    stream?.destroy?.();
  }

  /** Reports the manager gone (once per outage), keeps the last configuration, retries with back-off. */
  private lose(cause: unknown): void {
    if (this.stopped) return;
    this.closeStream();
    clearTimeout(this.pollTimer);
    const message = `cannot reach the swarm manager at ${this.endpoint}: ${(cause as Error)?.message ?? String(cause)}`;
    if (!this.failing) {
      this.failing = true;
      this.sink?.fail(new ProviderError(message, this.endpoint, cause));
      this.logger.error(`${message}; keeping the last configuration, retrying`);
    }
    clearTimeout(this.retryTimer);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.backoff.maxMs);
    this.retryTimer = setTimeout(() => void this.enqueue(() => this.connect()), delay);
    this.retryTimer.unref();
  }
}
