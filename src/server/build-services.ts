/**
 * Builds service handlers from the runtime configuration: load balancers over upstream
 * targets, weighted and highest-random-weight services of services, failover pairs, mirroring,
 * and the internal services
 * (API, dashboard, ping, metrics). Errors are recorded on the service (it becomes disabled) and
 * surface on the routers that use it. The handlers themselves live in services/.
 */

import { type ProbeSpec, resolveProbe } from '../balancer/health-probe.js';
import { PASSIVE_DEFAULTS, PassiveHealthPolicy } from '../balancer/passive-health.js';
import { StickyCookie } from '../balancer/sticky.js';
import { createStrategy } from '../balancer/strategies.js';
import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import type { LoadBalancerConfig, ServiceConfig } from '../config/dynamic-schema.js';
import { qualify } from '../core/names.js';
import type { Handler } from '../core/request-context.js';
import { DEFAULT_TRANSPORT, type Transport, type TransportOptions, type TransportPool } from '../proxy/transport.js';
import { UpstreamTarget } from '../proxy/upstream-target.js';
import { BuildOnce } from './build-once.js';
import { addError, type RuntimeConfiguration, type RuntimeService } from './runtime.js';
import { FailoverService } from './services/failover.js';
import type { ServiceHandle } from './services/handle.js';
import { HighestRandomWeightService } from './services/highest-random-weight.js';
import { LoadBalancer } from './services/load-balancer.js';
import { MirroringService } from './services/mirroring.js';
import { WeightedService } from './services/weighted.js';
import { transportTls } from './transport-tls.js';

export type { ServiceHandle } from './services/handle.js';

/** What building services needs from the rest of the process. */
export interface ServiceBuildDeps {
  upstreams: UpstreamRegistry;
  transports: TransportPool;
  /** The static `serversTransport` defaults. */
  defaultTransport: Readonly<TransportOptions>;
  /** Handlers of `…@internal` services. */
  internalServices: ReadonlyMap<string, Handler>;
}

/** Builds services on demand, once each, detecting reference cycles. */
export class ServiceBuilder {
  private readonly built = new BuildOnce<ServiceHandle>((name) => this.build(name));
  private readonly building = new Set<string>();
  /** Transports used by the services built, so unused pools can be closed after a swap. */
  readonly usedTransports = new Set<Transport>();
  /** Every upstream URL in use, so removed servers can be drained. */
  readonly usedUrls = new Set<string>();
  /** Active health checks wanted, by server URL (the first service to ask for one wins). */
  readonly healthChecks = new Map<string, ProbeSpec>();

  constructor(
    private readonly runtime: RuntimeConfiguration,
    private readonly deps: ServiceBuildDeps,
  ) {}

  /** The handle of a service by qualified name; throws an Error whose message suits a router's error list. */
  get(name: string): ServiceHandle {
    return this.built.get(name);
  }

  private build(name: string): ServiceHandle | Error {
    const internal = this.deps.internalServices.get(name);
    if (internal !== undefined) {
      return { name, handler: internal, available: always };
    }
    const service = this.runtime.services.get(name);
    if (service === undefined) return new Error(`the service "${name}" does not exist`);
    if (service.config === undefined || service.status === 'disabled') {
      return new Error(`the service "${name}" is disabled: ${service.errors.join('; ')}`);
    }
    if (this.building.has(name)) {
      const message = `service reference cycle through "${name}"`;
      addError(service, message);
      return new Error(message);
    }
    this.building.add(name);
    try {
      return this.buildByType(service, service.config);
    } catch (error) {
      addError(service, (error as Error).message);
      return new Error(`the service "${name}" is disabled: ${(error as Error).message}`);
    } finally {
      this.building.delete(name);
    }
  }

  private buildByType(service: RuntimeService, config: ServiceConfig): ServiceHandle {
    if (config.loadBalancer !== undefined) {
      service.type = 'loadbalancer';
      return this.loadBalancer(service, config.loadBalancer);
    }
    if (config.weighted !== undefined) {
      service.type = 'weighted';
      const children = (config.weighted.services ?? []).map((child) => ({
        service: this.child(service, child.name),
        weight: child.weight ?? 1,
      }));
      return new WeightedService(service.name, children, config.weighted.sticky);
    }
    if (config.highestRandomWeight !== undefined) {
      service.type = 'highestrandomweight';
      const children = (config.highestRandomWeight.services ?? []).map((child) => ({
        service: this.child(service, child.name),
        weight: child.weight ?? 1,
      }));
      return new HighestRandomWeightService(service.name, children);
    }
    if (config.failover !== undefined) {
      service.type = 'failover';
      return new FailoverService(
        service.name,
        this.child(service, config.failover.service),
        this.child(service, config.failover.fallback),
      );
    }
    service.type = 'mirroring';
    const mirroring = config.mirroring;
    if (mirroring === undefined) throw new Error('the service has no type');
    return new MirroringService(service.name, this.child(service, mirroring.service), {
      mirrors: (mirroring.mirrors ?? []).map((mirror) => ({
        handle: this.child(service, mirror.name),
        percent: mirror.percent ?? 0,
      })),
      mirrorBody: mirroring.mirrorBody ?? true,
      maxBodySize: mirroring.maxBodySize ?? -1,
    });
  }

  private child(parent: RuntimeService, reference: string): ServiceHandle {
    const name = qualify(reference, parent.provider);
    const handle = this.get(name);
    const child = this.runtime.services.get(name);
    if (child !== undefined && !child.usedBy.includes(parent.name)) child.usedBy.push(parent.name);
    return handle;
  }

  private loadBalancer(service: RuntimeService, config: LoadBalancerConfig): ServiceHandle {
    const servers = config.servers ?? [];
    const targets = servers.map(
      (server, index) =>
        new UpstreamTarget(
          server.url,
          server.weight ?? 1,
          this.deps.upstreams.get(server.url),
          server.preservePath === true,
          `${service.name}.loadBalancer.servers[${index}].url`,
        ),
    );
    const transport = this.transportFor(service, config.serversTransport);
    const strategy = createStrategy(config.strategy, targets);
    const strategyName = (config.strategy ?? 'wrr').toLowerCase();
    const sticky =
      config.sticky?.cookie !== undefined ? new StickyCookie(config.sticky.cookie, service.name, targets) : null;
    const passiveConfig = config.passiveHealthCheck;
    let passive: PassiveHealthPolicy | null = null;
    if (passiveConfig !== undefined) {
      const window = passiveConfig.failureWindow ?? PASSIVE_DEFAULTS.failureWindow;
      const attempts = passiveConfig.maxFailedAttempts ?? PASSIVE_DEFAULTS.maxFailedAttempts;
      if (window <= 0) throw new Error('passiveHealthCheck.failureWindow: must be positive');
      if (attempts < 1) throw new Error('passiveHealthCheck.maxFailedAttempts: must be at least 1');
      passive = new PassiveHealthPolicy(window, attempts);
    }
    const probes: Array<[string, ProbeSpec]> = [];
    if (config.healthCheck !== undefined) {
      for (const target of targets) {
        probes.push([target.url, resolveProbe(config.healthCheck, target.url, transport.options.insecureSkipVerify)]);
      }
    }
    // Recorded only once the whole service is valid, so a broken one leaves no trace.
    this.usedTransports.add(transport);
    for (const target of targets) this.usedUrls.add(target.url);
    // leasttime reads answer times, which the forwarding engine records only for servers that ask.
    if (strategyName === 'leasttime') for (const target of targets) target.state.sampleResponseTimes();
    for (const [url, spec] of probes) if (!this.healthChecks.has(url)) this.healthChecks.set(url, spec);
    return new LoadBalancer({
      name: service.name,
      targets,
      strategy,
      hashesClient: strategyName === 'hrw',
      sticky,
      passive,
      passHostHeader: config.passHostHeader ?? true,
      transport,
    });
  }

  private transportFor(service: RuntimeService, reference: string | undefined): Transport {
    if (reference === undefined) return this.deps.transports.get(this.deps.defaultTransport);
    const name = qualify(reference, service.provider);
    const transport = this.runtime.serversTransports.get(name);
    if (transport?.config === undefined) throw new Error(`the serversTransport "${name}" does not exist`);
    const base = this.deps.defaultTransport;
    const timeouts = transport.config.forwardingTimeouts ?? {};
    return this.deps.transports.get({
      dialTimeout: timeouts.dialTimeout ?? base.dialTimeout,
      responseHeaderTimeout: timeouts.responseHeaderTimeout ?? base.responseHeaderTimeout,
      idleConnTimeout: timeouts.idleConnTimeout ?? base.idleConnTimeout,
      readTimeout: timeouts.readTimeout ?? base.readTimeout,
      maxIdleConnsPerHost: transport.config.maxIdleConnsPerHost ?? base.maxIdleConnsPerHost,
      insecureSkipVerify: transport.config.insecureSkipVerify ?? DEFAULT_TRANSPORT.insecureSkipVerify,
      ...transportTls(transport.config, `serversTransports.${name}`),
    });
  }
}

function always(): boolean {
  return true;
}
