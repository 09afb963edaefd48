/**
 * The process: providers feed the watcher, each change is merged into a runtime
 * configuration, a routing table is built from it and swapped into every entry point.
 * Also owns reloads (SIGHUP) and graceful shutdown.
 */

import type { EntryPointForAcme } from '../acme/index.js';
import { Drainer } from '../balancer/drain.js';
import { HealthChecker, type HealthProbeSpec } from '../balancer/health-check.js';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import type { Logger } from '../core/logger.js';
import type { Handler } from '../core/request-context.js';
import { closeSharedBuckets } from '../middlewares/shared-buckets.js';
import type { Provider, ProviderSnapshot } from '../provider/provider.js';
import { type TransportOptions, TransportPool } from '../proxy/transport.js';
import { TcpStats } from '../tcp/stats.js';
import { TcpRoutingTable } from '../tcp/table.js';
import { TcpUpstreams } from '../tcp/upstreams.js';
import type { PemPair } from '../tls/certificate.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { generateDefaultCertificate } from '../tls/default-certificate.js';
import { UdpEntryPoint } from '../udp/proxy.js';
import type { ProcessAcme } from './acme-wiring.js';
import { buildRoutingTable, type EntryPointModel } from './build-table.js';
import { buildTcpTable } from './build-tcp.js';
import { buildUdpRoutes } from './build-udp.js';
import { EntryPoint, type EntryPointOptions, type EntryPointTls, type RequestObserver } from './entry-point.js';
import { mergeSnapshots } from './merge.js';
import { RoutingTable } from './routing-table.js';
import type { RuntimeConfiguration } from './runtime.js';
import { OBJECT_SECTIONS } from './sections.js';
import { ConfigurationWatcher } from './watcher.js';

/** Everything the process needs, resolved from the static configuration. */
export interface SwitchyardOptions {
  entryPoints: EntryPointOptions[];
  providers: Provider[];
  /** Entry points for routers that name none (default: all). */
  defaultEntryPoints?: string[];
  defaultTransport: TransportOptions;
  logger: Logger;
  /** Configuration built in (internal routers: API, dashboard, ping, metrics). */
  internalSnapshot?: ProviderSnapshot;
  /** Handlers of `…@internal` services, by qualified name. */
  internalServices?: Map<string, Handler>;
  /** Delay that coalesces bursts of provider snapshots (ms). */
  throttleMs?: number;
  /** Time in-flight requests get to finish on shutdown (ms, Traefik's graceTimeOut is 10s). */
  graceMs?: number;
  observer?: RequestObserver;
  /**
   * Entry points served by other processes (data-plane workers): routers may name them and the
   * API lists them, but this process does not listen on them.
   */
  remoteEntryPoints?: readonly string[];
  /** Run active health checks here (default true); a worker receives health from the primary instead. */
  activeHealthChecks?: boolean;
  /** Log each object's configuration errors after a rebuild (default true; workers leave it to the primary). */
  logConfigurationErrors?: boolean;
  /** What entry points give their routers (`entryPoints.<ep>.http.tls`, `.http.middlewares`). */
  entryPointModels?: ReadonlyMap<string, EntryPointModel>;
  /**
   * The configured certificate resolvers (`certificatesResolvers.<name>`): a router naming one is
   * served (with the default certificate until ACME delivers); naming another is an error.
   */
  certResolvers?: ReadonlySet<string>;
  /**
   * Where TCP routing hands TLS it does not pass through: the HTTPS path for a ClientHello no TCP
   * router takes, and TLS termination for TCP routers (the TLS stage, wired at assembly).
   */
  tls?: EntryPointTls;
  /** Automatic HTTPS (`certificatesResolvers`): the resolvers, or a worker's copy of what they hold. */
  acme?: ProcessAcme;
  /**
   * The generated default certificate to serve (a worker gets its primary's, so every worker
   * presents the same one); made at start when absent.
   */
  defaultCertificate?: PemPair;
}

/** A running Switchyard: entry points, providers and the configuration loop. */
export class Switchyard {
  readonly upstreams = new UpstreamRegistry();
  readonly transports = new TransportPool();
  /** Active health checks (control plane), keyed by server URL; they survive reloads. */
  readonly health: HealthChecker;
  /** The one drain mechanism: servers leaving (announced by a provider, or no longer configured) finish their requests before their pools close. */
  readonly drainer: Drainer;
  readonly entryPoints = new Map<string, EntryPoint>();
  /** Every certificate served (configuration, ACME via `setSource`, the default), alive across reloads. */
  readonly certificates = new CertificateStore();
  /** UDP entry points (`address: ":53/udp"`). */
  readonly udpEntryPoints = new Map<string, UdpEntryPoint>();
  /** Statistics of TCP routers and services (and UDP routers), by name; they survive reloads. */
  readonly tcpStats = new TcpStats();
  /** Forwarded TCP connections per server: what draining closes when a grace period ends. */
  readonly tcpConnections = new TcpUpstreams();
  tcpTable: TcpRoutingTable = TcpRoutingTable.empty();
  readonly watcher: ConfigurationWatcher;
  /** The latest runtime configuration (what the API shows). */
  runtime: RuntimeConfiguration = mergeSnapshots([]);
  table: RoutingTable = RoutingTable.empty();
  /** Number of successful rebuilds, and when the last one happened. */
  reloads = 0;
  lastReloadAt: Date | null = null;
  private readonly reloadListeners = new Set<() => void>();
  private readonly stopListeners = new Set<() => void | Promise<void>>();
  private stopped = false;

  constructor(readonly options: SwitchyardOptions) {
    this.watcher = new ConfigurationWatcher(() => this.rebuild(), options.throttleMs ?? 50, options.logger);
    this.health = new HealthChecker(this.upstreams, options.logger);
    this.drainer = new Drainer(
      this.upstreams,
      () => [...this.transports.values(), this.tcpConnections],
      options.graceMs ?? 10_000,
    );
    for (const provider of options.providers) provider.useDrains?.(this.drainer);
    for (const entry of options.entryPoints) {
      if (entry.protocol === 'udp') {
        this.udpEntryPoints.set(
          entry.name,
          new UdpEntryPoint(entry.name, entry.host, entry.port, entry.udpTimeout, options.logger),
        );
        continue;
      }
      this.entryPoints.set(
        entry.name,
        new EntryPoint(entry, this.table, options.logger, options.observer ?? null, options.tls),
      );
    }
    const acme = options.acme;
    if (acme !== undefined) {
      acme.attach(this.certificates, options.logger);
      for (const name of acme.httpEntryPoints) {
        this.entryPoints.get(name)?.answerHttpChallenges((host, path) => acme.httpChallengeResponse(host, path));
      }
    }
  }

  /** Listens on every entry point, then starts the providers. */
  async start(): Promise<void> {
    const log = this.options.logger;
    // Made before the first table: a TLS entry point serves it to names no certificate has.
    this.certificates.setGenerated(this.options.defaultCertificate ?? (await generateDefaultCertificate()));
    // The stored ACME certificates are served from the first handshake on.
    await this.options.acme?.start?.();
    try {
      for (const entryPoint of this.entryPoints.values()) {
        await entryPoint.listen();
        log.info({ entryPoint: entryPoint.options.name, port: entryPoint.port }, 'entry point listening');
      }
      for (const entryPoint of this.udpEntryPoints.values()) {
        await entryPoint.listen();
        log.info({ entryPoint: entryPoint.name, port: entryPoint.port, protocol: 'udp' }, 'entry point listening');
      }
    } catch (error) {
      await Promise.all([...this.entryPoints.values()].map((e) => e.close(0).catch(() => undefined)));
      await Promise.all([...this.udpEntryPoints.values()].map((e) => e.close().catch(() => undefined)));
      throw error;
    }
    if (this.options.internalSnapshot) this.watcher.sinkFor('internal').publish(this.options.internalSnapshot);
    for (const provider of this.options.providers) {
      await provider.start(this.watcher.sinkFor(provider.name));
      log.info({ provider: provider.name }, 'provider started');
    }
    // Built now unless a table for the current snapshots already exists (a worker builds the
    // one it was sent before listening).
    if (this.reloads === 0 || this.watcher.pending) this.rebuild();
  }

  /** Rebuilds the routing table from the current snapshots and swaps it in. */
  rebuild(): void {
    if (this.stopped) return;
    this.watcher.cancelPending();
    const runtime = mergeSnapshots(this.watcher.current());
    // HTTP and TCP routers attach to TCP entry points only; UDP routers to UDP ones.
    const names = [...this.entryPoints.keys(), ...(this.options.remoteEntryPoints ?? [])];
    const built = buildRoutingTable(runtime, {
      entryPoints: names,
      defaultEntryPoints: this.options.defaultEntryPoints ?? names,
      upstreams: this.upstreams,
      transports: this.transports,
      defaultTransport: this.options.defaultTransport,
      internalServices: this.options.internalServices ?? new Map(),
      logger: this.options.logger,
      models: this.options.entryPointModels,
      certificates: this.certificates,
      ...(this.options.certResolvers === undefined ? {} : { certResolvers: this.options.certResolvers }),
    });
    const tcp = buildTcpTable(runtime, {
      entryPoints: names,
      defaultEntryPoints: this.options.defaultEntryPoints ?? names,
      upstreams: this.upstreams,
      connections: this.tcpConnections,
      stats: this.tcpStats,
      logger: this.options.logger,
      tls: {
        build: built.tls,
        certificates: this.certificates,
        certResolvers: this.options.certResolvers ?? new Set(),
      },
    });
    // After both builds, so routers they disabled (HTTP or TCP) order nothing.
    this.options.acme?.configure?.(runtime, acmeEntryPoints(names, this.options.entryPointModels));
    const udp = buildUdpRoutes(runtime, {
      entryPoints: [...this.udpEntryPoints.keys()],
      upstreams: this.upstreams,
      stats: this.tcpStats,
    });
    // Before the swap, so a new server with a health check is DOWN until its first passing probe.
    // HTTP and TCP servers are checked by the one HealthChecker (keys never collide: http(s)://, tcp://).
    if (this.options.activeHealthChecks !== false) {
      const checks = new Map<string, HealthProbeSpec>([...built.services.healthChecks, ...tcp.healthChecks]);
      this.health.sync(checks, new Set([...built.services.usedUrls, ...tcp.usedUrls]));
    }
    this.runtime = runtime;
    this.table = built.table;
    this.tcpTable = tcp.table;
    for (const entryPoint of this.entryPoints.values()) entryPoint.swap(built.table, tcp.table);
    for (const [name, entryPoint] of this.udpEntryPoints) entryPoint.swap(udp.routes.get(name) ?? null);
    this.transports.retain(built.services.usedTransports);
    const usedUrls = new Set([...built.services.usedUrls, ...tcp.usedUrls, ...udp.usedUrls]);
    this.drainer.update(usedUrls);
    // Servers that left (a container's old address, a restarted replica's old port) do not keep
    // their state forever; one with requests still in flight goes at a later reload.
    this.upstreams.prune(usedUrls);
    this.reloads++;
    this.lastReloadAt = new Date();
    if (this.options.logConfigurationErrors !== false) this.logConfigurationErrors(runtime);
    for (const listener of this.reloadListeners) listener();
  }

  /** Calls `listener` after every rebuild; returns a function that removes it. */
  onReload(listener: () => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** True once `stop()` has begun (ping answers 503, live streams end). */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Calls `listener` (awaited) on stop, once every entry point has drained (flush logs, stop timers). */
  onStop(listener: () => void | Promise<void>): void {
    this.stopListeners.add(listener);
  }

  /** Stops providers, then drains and closes every entry point. */
  async stop(graceMs = this.options.graceMs ?? 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watcher.cancelPending();
    this.health.stop();
    const acmeStopped = this.options.acme?.stop?.();
    await Promise.all(this.options.providers.map((p) => p.stop().catch(() => undefined)));
    await Promise.all([
      ...[...this.entryPoints.values()].map((e) => e.close(graceMs)),
      ...[...this.udpEntryPoints.values()].map((e) => e.close()),
    ]);
    this.tcpConnections.destroyAll();
    this.drainer.stop();
    this.transports.destroyAll();
    closeSharedBuckets();
    await acmeStopped;
    for (const listener of this.stopListeners) await Promise.resolve(listener()).catch(() => undefined);
  }

  private logConfigurationErrors(runtime: RuntimeConfiguration): void {
    const log = this.options.logger;
    for (const { field: kind, objects } of OBJECT_SECTIONS) {
      for (const object of objects(runtime).values()) {
        if (object.errors.length === 0) continue;
        // A warning (an object shown but not served, an ignored key) is not an error.
        if (object.status === 'disabled')
          log.error({ [kind]: object.name, errors: object.errors }, `${kind} has errors`);
        else log.warn({ [kind]: object.name, warnings: object.errors }, `${kind} has warnings`);
      }
    }
    for (const issue of runtime.issues) {
      const fields = { source: issue.source, key: issue.key, location: issue.location };
      if (issue.severity === 'error') log.error(fields, issue.message);
      else log.warn(fields, issue.message);
    }
  }
}

/** Each entry point's `http.tls`, as the ACME resolvers read it (`http.tls.certResolver`, `domains`). */
function acmeEntryPoints(
  names: readonly string[],
  models: ReadonlyMap<string, EntryPointModel> | undefined,
): Record<string, EntryPointForAcme> {
  const out: Record<string, EntryPointForAcme> = {};
  for (const name of names) out[name] = { http: { tls: models?.get(name)?.tls } };
  return out;
}
