/**
 * The process provider: the embedded engine behind `switchyard up`. It supervises the replicas of
 * every compose service that has an `x-switchyard` extension and publishes, after each change, a
 * complete snapshot made by the label translation (the Docker provider's, ../labels/) over the
 * replicas that are ready, each a Workload. It also answers the stack API: scale a service, stop or start a replica.
 *
 * Removing a replica never fails a request: a snapshot without it is published, then it is
 * announced to the proxy's drainer (given at assembly, `useDrains`), which takes it out of every
 * balancer at once and resolves when its in-flight requests finished; only then is it sent SIGTERM.
 */
import type { ServerDrains } from '../../balancer/drain.js';
import { ConfigError } from '../../errors.js';
import { drainAndLog } from '../drain-log.js';
import {
  buildLabelConfiguration,
  type CompiledLabelOptions,
  compileLabelOptions,
  type LabelTranslationOptions,
} from '../labels/build-configuration.js';
import type { Workload } from '../labels/workload.js';
import { type Provider, type ProviderLogger, type ProviderSink, silentLogger } from '../provider.js';
import type { ComposeProject, ProcessServiceSpec } from './compose-file.js';
import { type LineSink, OutputMultiplexer } from './log-prefix.js';
import { OrphanGuard } from './orphan-guard.js';
import { PortAllocator } from './ports.js';
import { Replica, type ReplicaHooks } from './replica.js';
import { replicaWorkload } from './replica-workload.js';
import { type ServiceView, type StackView, serviceView } from './stack-view.js';

/** How `up` configures the provider. */
export interface ProcessProviderOptions {
  project: ComposeProject;
  /** `--scale SERVICE=N`, overriding the file's replica counts. */
  scale?: Record<string, number>;
  /** `providers.docker` options that shape the label translation (exposedByDefault, defaultRule…). */
  translation?: LabelTranslationOptions;
  /** Where replicas' prefixed output goes (default: stdout). */
  output?: LineSink;
  logger?: ProviderLogger;
  /** How long a replica gets between SIGTERM and SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
}

/** One compose service at run time. */
interface ServiceRuntime {
  spec: ProcessServiceSpec;
  replicas: Replica[];
  routes: { router: string; rule: string }[];
}

/** Supervises local replicas and publishes their routing configuration. */
export class ProcessProvider implements Provider {
  readonly name = 'process';
  readonly project: ComposeProject;
  private readonly services = new Map<string, ServiceRuntime>();
  private readonly replicasById = new Map<string, Replica>();
  private readonly ports = new PortAllocator();
  private readonly guard = new OrphanGuard();
  private readonly output: OutputMultiplexer;
  private readonly translation: CompiledLabelOptions;
  private readonly logger: ProviderLogger;
  private readonly hooks: ReplicaHooks;
  private readonly readyWaiters = new Set<() => void>();
  private readonly warned = new Set<string>();
  private drains: ServerDrains | undefined;
  private sink: ProviderSink | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: ProcessProviderOptions) {
    this.project = options.project;
    this.logger = options.logger ?? silentLogger;
    const output = options.output ?? process.stdout;
    this.output = new OutputMultiplexer(output, (output as { isTTY?: boolean }).isTTY === true);
    // Network and host-port choices are Docker's business; locally the address is always 127.0.0.1.
    const { network: _network, useBindPortIP: _bind, ...translation } = options.translation ?? {};
    this.translation = compileLabelOptions(translation);
    this.hooks = {
      project: this.project.name,
      allocatePort: () => this.ports.allocate(),
      output: this.output,
      guard: this.guard,
      changed: () => this.changed(),
      drain: (url) => this.drain(url),
      log: (level, message) => this.logger[level](message),
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    };
    const scale = options.scale ?? {};
    for (const name of Object.keys(scale)) {
      if (!this.project.services.some((s) => s.name === name)) {
        const known = this.project.services.map((s) => s.name).join(', ');
        throw new ConfigError(`--scale ${name}: no such service run by up (services: ${known})`, '--scale');
      }
    }
    for (const spec of this.project.services) {
      const runtime: ServiceRuntime = { spec, replicas: [], routes: this.routesOf(spec) };
      this.services.set(spec.name, runtime);
      const count = scale[spec.name] ?? spec.replicas;
      for (let index = 1; index <= count; index++) this.add(runtime, index);
    }
  }

  /** Gives access to the proxy's drainer, which waits for a leaving replica's requests (at assembly). */
  useDrains(drains: ServerDrains): void {
    this.drains = drains;
  }

  /** Publishes the first (empty) snapshot and starts every replica; does not wait for readiness. */
  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
    this.guard.start();
    this.publish();
    for (const replica of this.replicasById.values()) void replica.start();
  }

  /** Resolves true once every wanted replica is running, false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.allReady()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.readyWaiters.delete(check);
        resolve(ready);
      };
      const check = () => {
        if (this.allReady()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.readyWaiters.add(check);
    });
  }

  /** Drains and stops every replica, then retires the orphan guard. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.replicasById.values()].map((r) => r.stop()));
      this.guard.close();
    })();
    return this.stopping;
  }

  /** Whether `stop` was called (the stack refuses changes then). */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** The whole stack, for `/api/stack` and the banner. */
  view(): StackView {
    return {
      project: this.project.name,
      composeFile: this.project.file,
      provider: this.name,
      services: [...this.services.values()].map((s) => serviceView(s.spec, s.replicas, s.routes)),
      skipped: this.project.skipped,
    };
  }

  /** One service's view, or undefined when no such service is run by `up`. */
  service(name: string): ServiceView | undefined {
    const runtime = this.services.get(name);
    return runtime && serviceView(runtime.spec, runtime.replicas, runtime.routes);
  }

  /** Whether a replica with this id exists. */
  hasReplica(id: string): boolean {
    return this.replicasById.has(id);
  }

  /**
   * Makes the service have `count` replicas, like `docker compose up --scale`: extra replicas
   * (highest numbers first) drain and stop, then disappear; missing ones are added with the lowest
   * free numbers and join the rotation once ready; kept replicas that were stopped start again.
   */
  scale(name: string, count: number): ServiceView {
    const runtime = this.services.get(name);
    if (runtime === undefined) throw new ConfigError(`no such service: ${name}`);
    if (this.isStopping) throw new ConfigError('the stack is stopping');
    const kept = runtime.replicas.filter((r) => !r.removing).sort((a, b) => a.index - b.index);
    for (const replica of kept.slice(count)) {
      replica.removing = true;
      void replica.stop().then(() => this.forget(runtime, replica));
    }
    for (const replica of kept.slice(0, count)) if (!replica.isWanted) void replica.start();
    for (let missing = count - kept.length; missing > 0; missing--) {
      const used = new Set(runtime.replicas.map((r) => r.index));
      let index = 1;
      while (used.has(index)) index++;
      void this.add(runtime, index).start();
    }
    if (count !== kept.length) this.logger.info(`scaling ${name} from ${kept.length} to ${count}`);
    this.changed();
    return this.service(name) as ServiceView;
  }

  /** Drains and stops one replica (it stays listed as stopped). */
  stopReplica(id: string): Promise<void> {
    const replica = this.replicasById.get(id);
    if (replica === undefined) throw new ConfigError(`no such replica: ${id}`);
    return replica.stop();
  }

  /** Starts a stopped replica again. */
  startReplica(id: string): Promise<void> {
    const replica = this.replicasById.get(id);
    if (replica === undefined) throw new ConfigError(`no such replica: ${id}`);
    if (this.isStopping) throw new ConfigError('the stack is stopping');
    return replica.start();
  }

  private add(runtime: ServiceRuntime, index: number): Replica {
    const replica = new Replica(runtime.spec, index, this.hooks);
    runtime.replicas.push(replica);
    runtime.replicas.sort((a, b) => a.index - b.index);
    this.replicasById.set(replica.id, replica);
    this.output.reserve(replica.id);
    return replica;
  }

  private forget(runtime: ServiceRuntime, replica: Replica): void {
    if (!replica.removing || replica.isWanted) return;
    runtime.replicas = runtime.replicas.filter((r) => r !== replica);
    if (this.replicasById.get(replica.id) === replica) this.replicasById.delete(replica.id);
    this.changed();
  }

  private allReady(): boolean {
    for (const replica of this.replicasById.values()) {
      if (replica.isWanted && replica.state !== 'running') return false;
    }
    return true;
  }

  private changed(): void {
    this.publish();
    for (const check of [...this.readyWaiters]) check();
  }

  /** Announces a leaving replica's URL (already out of the published snapshot) and waits for its drain. */
  private async drain(url: string): Promise<void> {
    if (this.drains === undefined) return;
    await drainAndLog(this.drains, url, 'replica', this.logger);
  }

  private publish(): void {
    if (this.sink === undefined) return;
    const workloads: Workload[] = [];
    for (const replica of this.replicasById.values()) {
      if (replica.state !== 'running' || replica.port === undefined) continue;
      workloads.push(
        replicaWorkload({
          project: this.project.name,
          service: replica.spec.name,
          index: replica.index,
          port: replica.port,
          labels: replica.spec.labels,
        }),
      );
    }
    const result = buildLabelConfiguration(workloads, this.translation);
    for (const warning of result.warnings) {
      if (this.warned.has(warning)) continue;
      this.warned.add(warning);
      this.logger.warn(warning);
    }
    this.sink.publish({ provider: this.name, config: result.config, issues: result.issues, origins: result.origins });
  }

  /** The routers a service's labels define (for the banner and the API), from one sample replica. */
  private routesOf(spec: ProcessServiceSpec): { router: string; rule: string }[] {
    const sample = replicaWorkload({
      project: this.project.name,
      service: spec.name,
      index: 1,
      port: 1,
      labels: spec.labels,
    });
    const routers = buildLabelConfiguration([sample], this.translation).config.http?.routers ?? {};
    return Object.entries(routers).map(([router, config]) => ({ router, rule: config.rule ?? '' }));
  }
}
