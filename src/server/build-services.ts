/**
 * Builds service handlers from the runtime configuration: load balancers over upstream
 * targets, weighted services of services, failover pairs, and the internal services (API,
 * dashboard, ping, metrics). Errors are recorded on the service (it becomes disabled) and
 * surface on the routers that use it.
 */

import type { Candidate } from '../balancer/strategy.js';
import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import { WeightedRoundRobin } from '../balancer/wrr.js';
import type { LoadBalancerConfig, ServiceConfig } from '../config/dynamic-schema.js';
import type { Handler, RequestContext } from '../middlewares/types.js';
import { type ForwardSettings, forward } from '../proxy/forward.js';
import { sendError } from '../proxy/responses.js';
import { DEFAULT_TRANSPORT, type Transport, type TransportOptions, type TransportPool } from '../proxy/transport.js';
import { forwardUpgrade } from '../proxy/upgrade.js';
import { UpstreamTarget } from '../proxy/upstream-target.js';
import { addError, qualify, type RuntimeConfiguration, type RuntimeService } from './runtime.js';

/** A built service: its handler and whether it can take a request now (for parents). */
export interface ServiceHandle extends Candidate {
  readonly name: string;
  readonly handler: Handler;
  /** The upstream targets it balances over (empty for composite and internal services). */
  readonly targets: readonly UpstreamTarget[];
}

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
  private readonly built = new Map<string, ServiceHandle | Error>();
  private readonly building = new Set<string>();
  /** Transports used by the services built, so unused pools can be closed after a swap. */
  readonly usedTransports = new Set<Transport>();
  /** Every upstream URL in use, so stale upstream states can be pruned. */
  readonly usedUrls = new Set<string>();

  constructor(
    private readonly runtime: RuntimeConfiguration,
    private readonly deps: ServiceBuildDeps,
  ) {}

  /** The handle of a service by qualified name; throws an Error whose message suits a router's error list. */
  get(name: string): ServiceHandle {
    const cached = this.built.get(name);
    if (cached instanceof Error) throw cached;
    if (cached !== undefined) return cached;
    const result = this.build(name);
    this.built.set(name, result);
    if (result instanceof Error) throw result;
    return result;
  }

  private build(name: string): ServiceHandle | Error {
    const internal = this.deps.internalServices.get(name);
    if (internal !== undefined) {
      return { name, handler: internal, targets: [], weight: 1, available: always };
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
        handle: this.child(service, child.name),
        weight: child.weight ?? 1,
      }));
      return weightedHandle(service.name, children);
    }
    if (config.failover !== undefined) {
      service.type = 'failover';
      return failoverHandle(
        service.name,
        this.child(service, config.failover.service),
        this.child(service, config.failover.fallback),
      );
    }
    service.type = 'mirroring';
    throw new Error('mirroring services are not supported yet');
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
    const targets = servers.map((server, index) => {
      this.usedUrls.add(server.url);
      return new UpstreamTarget(
        server.url,
        server.weight ?? 1,
        this.deps.upstreams.get(server.url),
        server.preservePath === true,
        `${service.name}.loadBalancer.servers[${index}].url`,
      );
    });
    const transport = this.transportFor(service, config.serversTransport);
    this.usedTransports.add(transport);
    const settings: ForwardSettings = { passHostHeader: config.passHostHeader ?? true, transport };
    if (config.strategy !== undefined && config.strategy.toLowerCase() !== 'wrr') {
      throw new Error(`unknown load-balancing strategy "${config.strategy}" (supported: wrr)`);
    }
    return loadBalancerHandle(service.name, targets, settings);
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
      maxIdleConnsPerHost: transport.config.maxIdleConnsPerHost ?? base.maxIdleConnsPerHost,
      insecureSkipVerify: transport.config.insecureSkipVerify ?? DEFAULT_TRANSPORT.insecureSkipVerify,
    });
  }
}

function always(): boolean {
  return true;
}

function loadBalancerHandle(name: string, targets: UpstreamTarget[], settings: ForwardSettings): ServiceHandle {
  const strategy = new WeightedRoundRobin(targets);
  const handler = (ctx: RequestContext): void => {
    const target = strategy.next(Date.now());
    ctx.service = name;
    if (target === undefined) {
      sendError(ctx.res, 503, 'no available server\n');
      return;
    }
    if (ctx.upgradeHead != null) forwardUpgrade(ctx, target, settings);
    else forward(ctx, target, settings);
  };
  const available = (now: number): boolean => {
    for (const target of targets) if (target.weight > 0 && target.available(now)) return true;
    return false;
  };
  return { name, handler, targets, weight: 1, available };
}

function weightedHandle(name: string, children: Array<{ handle: ServiceHandle; weight: number }>): ServiceHandle {
  const candidates = children.map(({ handle, weight }) => ({
    handle,
    weight,
    available: (now: number) => handle.available(now),
  }));
  const strategy = new WeightedRoundRobin(candidates);
  const handler = (ctx: RequestContext): void => {
    const picked = strategy.next(Date.now());
    if (picked === undefined) {
      sendError(ctx.res, 503, 'no available server\n');
      return;
    }
    picked.handle.handler(ctx);
  };
  const available = (now: number): boolean => candidates.some((c) => c.weight > 0 && c.available(now));
  return { name, handler, targets: [], weight: 1, available };
}

function failoverHandle(name: string, main: ServiceHandle, fallback: ServiceHandle): ServiceHandle {
  const handler = (ctx: RequestContext): void => {
    if (main.available(Date.now())) main.handler(ctx);
    else fallback.handler(ctx);
  };
  const available = (now: number): boolean => main.available(now) || fallback.available(now);
  return { name, handler, targets: [], weight: 1, available };
}
