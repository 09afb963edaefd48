/**
 * The I/O half of the Docker provider: lists and inspects containers, follows the daemon's event
 * stream, and publishes the translation (build-configuration.ts) as complete snapshots. A
 * container being stopped (`kill`/`stop`) is dropped from the configuration at once, before it
 * dies, so scaling down never routes a request to a dying replica. When the daemon goes away
 * the sink is told once and the last good configuration keeps serving while the client
 * reconnects with exponential back-off; on reconnect everything is listed again.
 *
 * Excluding a stopping container is this provider's own business (only it sees `kill`); the
 * waiting is not: the servers it no longer publishes are announced to the process's drainer
 * (`useDrains`), which takes them out of rotation at once, without waiting for the rebuild, and
 * tells how their requests ended.
 */
import Docker from 'dockerode';
import type { ServerDrains } from '../../balancer/drain.js';
import type { DockerProviderConfig } from '../../config/static-schema.js';
import { ProviderError } from '../../errors.js';
import { drainAndLog } from '../drain-log.js';
import { type Provider, type ProviderLogger, type ProviderSink, silentLogger } from '../provider.js';
import { serverUrls } from '../server-urls.js';
import { buildDockerConfiguration, type CompiledDockerOptions, compileDockerOptions } from './build-configuration.js';
import type { ContainerInspect } from './container-inspect.js';
import { classifyEvent, type DockerEvent, EventLineDecoder } from './docker-events.js';
import { type DockerConnection, resolveDockerEndpoint } from './endpoint.js';

/** Messages the provider logs (the process logger, tagged with the provider by the caller). */
export type DockerProviderLogger = ProviderLogger;

/** `providers.docker` from the static configuration, plus what the process hands in. */
export interface DockerProviderOptions extends Partial<DockerProviderConfig> {
  logger?: ProviderLogger;
  /** Environment consulted for DOCKER_HOST (default: process.env). */
  env?: Record<string, string | undefined>;
  /** How long events are coalesced before containers are inspected again (default 200 ms). */
  throttleMs?: number;
  /** First and longest delay between reconnection attempts (default 500 ms and 10 s). */
  backoff?: { initialMs: number; maxMs: number };
}

/** Why the daemon could not be used, in words an operator can act on. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error)?.message ?? String(error);
  switch (code) {
    case 'ENOENT':
      return 'the socket does not exist (is the Docker daemon running, and the socket mounted?)';
    case 'ECONNREFUSED':
      return 'connection refused (is the Docker daemon running?)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (run as a member of the docker group, or mount the socket readable)';
    default:
      return message;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** Reads containers from a Docker daemon and publishes their configuration. */
export class DockerProvider implements Provider {
  readonly name = 'docker';
  private readonly connection: DockerConnection;
  private readonly docker: Docker;
  private readonly translation: CompiledDockerOptions;
  private readonly logger: ProviderLogger;
  private readonly watch: boolean;
  private readonly throttleMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };

  private sink: ProviderSink | undefined;
  private stopped = false;
  /** Bumped at each connection, so callbacks of an abandoned stream do nothing. */
  private generation = 0;
  private readonly containers = new Map<string, ContainerInspect>();
  /** Containers being killed or stopped: left out of the configuration before they die. */
  private readonly stopping = new Set<string>();
  private drains: ServerDrains | undefined;
  private readonly dirty = new Set<string>();
  private stream: NodeJS.ReadableStream | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  /** Serialises connects and refreshes so their inspections never interleave. */
  private queue: Promise<void> = Promise.resolve();
  private failing = false;
  private lastWarnings = new Set<string>();
  /** Server URLs of the last published configuration. */
  private publishedUrls = new Set<string>();

  /** Validates the options (endpoint, default rule, constraints): throws ConfigError when one is wrong. */
  constructor(options: DockerProviderOptions = {}) {
    this.connection = resolveDockerEndpoint(options.endpoint, options.env);
    this.docker = new Docker(this.connection.options);
    this.translation = compileDockerOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.watch = options.watch ?? true;
    this.throttleMs = options.throttleMs ?? 200;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
    this.retryDelay = this.backoff.initialMs;
  }

  /** The endpoint in use (after DOCKER_HOST), for messages and tests. */
  get endpoint(): string {
    return this.connection.endpoint;
  }

  /** Connects and publishes the first snapshot (or reports the failure and keeps retrying). */
  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    await this.enqueue(() => this.connect());
  }

  /** Ends the event stream and every timer; nothing is published afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.reconnectTimer);
    this.refreshTimer = undefined;
    this.reconnectTimer = undefined;
    this.closeStream();
    await this.queue;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    // A task never rejects (each catches its own faults), so the chain never breaks.
    this.queue = this.queue.then(task, task);
    return this.queue;
  }

  private closeStream(): void {
    const stream = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    stream?.removeAllListeners();
    // A destroyed stream may still emit 'error'; swallow it rather than crash the process.
    stream?.on('error', () => {});
    stream?.destroy?.();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    try {
      // Subscribe before listing, so a change between the two is seen as an event, not lost.
      if (this.watch) await this.openEvents(generation);
      const listed = await this.docker.listContainers({ all: false });
      const fresh = new Map<string, ContainerInspect>();
      for (const summary of listed) {
        const inspected = await this.inspect(summary.Id);
        if (inspected) fresh.set(inspected.Id, inspected);
      }
      if (generation !== this.generation || this.stopped) return;
      this.containers.clear();
      for (const [id, container] of fresh) this.containers.set(id, container);
      for (const id of this.stopping) if (!fresh.has(id)) this.stopping.delete(id);
      if (this.failing) this.logger.info(`connected to the Docker daemon at ${this.endpoint} again`);
      this.failing = false;
      this.retryDelay = this.backoff.initialMs;
      this.publish();
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      this.lose(`cannot reach the Docker daemon at ${this.endpoint}: ${describeFailure(error)}`, error);
    }
  }

  /** Inspects one container; undefined when it vanished meanwhile (404). Other errors propagate. */
  private async inspect(id: string): Promise<ContainerInspect | undefined> {
    try {
      return (await this.docker.getContainer(id).inspect()) as unknown as ContainerInspect;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async openEvents(generation: number): Promise<void> {
    this.closeStream();
    const stream = await this.docker.getEvents({ filters: { type: ['container'] } });
    if (generation !== this.generation || this.stopped) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return;
    }
    this.stream = stream;
    const decoder = new EventLineDecoder(
      (event) => this.onEvent(event, generation),
      (line) => this.logger.debug(`ignoring a malformed Docker event: ${line.slice(0, 200)}`),
    );
    stream.on('data', (chunk: Buffer | string) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        this.logger.error(`Docker event handling failed: ${(error as Error).message}`);
      }
    });
    const ended = (error?: unknown) => {
      if (generation !== this.generation || this.stopped) return;
      const reason = error === undefined ? 'the event stream ended' : describeFailure(error);
      this.lose(`lost the Docker daemon at ${this.endpoint}: ${reason}`, error);
    };
    stream.on('error', (error: unknown) => ended(error));
    stream.on('end', () => ended());
    stream.on('close', () => ended());
  }

  private onEvent(event: DockerEvent, generation: number): void {
    if (generation !== this.generation || this.stopped) return;
    try {
      const effect = classifyEvent(event);
      if (effect.kind === 'ignore') return;
      const action = event.Action ?? event.status ?? '';
      this.logger.debug(`docker event ${action} for container ${effect.id.slice(0, 12)}`);
      if (effect.kind === 'drain') {
        // Only containers we route to matter; an unknown one has nothing to drain.
        if (this.containers.has(effect.id) && !this.stopping.has(effect.id)) {
          this.stopping.add(effect.id);
          this.announceLeaving(effect.id, this.publish());
        }
      } else if (action === 'start') {
        this.stopping.delete(effect.id);
      }
      this.dirty.add(effect.id);
      this.refreshTimer ??= setTimeout(() => {
        this.refreshTimer = undefined;
        void this.enqueue(() => this.refresh(generation));
      }, this.throttleMs);
    } catch (error) {
      this.logger.error(`Docker event handling failed: ${(error as Error).message}`);
    }
  }

  /** Inspects the containers events named since the last refresh, then republishes. */
  private async refresh(generation: number): Promise<void> {
    if (generation !== this.generation || this.stopped) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      for (const id of ids) {
        const inspected = await this.inspect(id);
        if (generation !== this.generation || this.stopped) return;
        const running = inspected?.State?.Running === true;
        if (inspected === undefined || !running) {
          this.containers.delete(id);
          this.stopping.delete(id);
        } else {
          this.containers.set(id, inspected);
        }
      }
      this.publish();
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      this.lose(`cannot reach the Docker daemon at ${this.endpoint}: ${describeFailure(error)}`, error);
    }
  }

  /** Gives access to the process's drainer (at assembly). */
  useDrains(drains: ServerDrains): void {
    this.drains = drains;
  }

  /**
   * Announces the servers that the last publish dropped (those of a stopping container) to the
   * drainer, after the snapshot without them is out, and logs how their requests ended.
   */
  private announceLeaving(id: string, dropped: readonly string[]): void {
    const drains = this.drains;
    if (drains === undefined) return;
    for (const url of dropped) {
      void drainAndLog(drains, url, `container ${id.slice(0, 12)}`, this.logger);
    }
  }

  /** Publishes the current containers; returns the server URLs the previous publish had and this one has not. */
  private publish(): string[] {
    if (this.stopped || this.sink === undefined) return [];
    try {
      const result = buildDockerConfiguration([...this.containers.values()], {
        ...this.translation,
        draining: this.stopping,
      });
      // Warnings repeat at every rebuild; log each once while it lasts.
      const warnings = new Set(result.warnings);
      for (const warning of warnings) if (!this.lastWarnings.has(warning)) this.logger.warn(warning);
      this.lastWarnings = warnings;
      // An unchanged snapshot is published anyway: the watcher drops it, after clearing a failure.
      this.sink.publish({ provider: this.name, config: result.config, issues: result.issues, origins: result.origins });
      const urls = serverUrls(result.config);
      const dropped = [...this.publishedUrls].filter((url) => !urls.has(url));
      this.publishedUrls = urls;
      return dropped;
    } catch (error) {
      this.logger.error(`building the Docker configuration failed: ${(error as Error).message}`);
      return [];
    }
  }

  /** Reports the daemon gone (once per outage) and schedules a reconnection. */
  private lose(message: string, cause: unknown): void {
    this.generation++;
    this.closeStream();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.dirty.clear();
    if (!this.failing) {
      this.failing = true;
      try {
        this.sink?.fail(new ProviderError(message, this.endpoint, cause));
      } catch (error) {
        this.logger.error(`the provider sink failed: ${(error as Error).message}`);
      }
      this.logger.error(`${message}; retrying`);
    } else {
      this.logger.debug(`${message}; retrying in ${this.retryDelay} ms`);
    }
    clearTimeout(this.reconnectTimer);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.backoff.maxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.enqueue(() => this.connect());
    }, delay);
  }
}
