/**
 * The label translation: workloads (labels plus where and how they run) in, one dynamic
 * configuration out, following Traefik v3's label conventions (docs/configuration.md, "Docker
 * provider"). Pure, so it is tested with Workload fixtures; the Docker provider and `switchyard up`
 * only extract workloads from their own world and call it.
 */
import type { DynamicConfiguration, RouterConfig, ServerConfig, ServiceConfig } from '../../config/dynamic-schema.js';
import type { DockerProviderConfig } from '../../config/static-schema.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import { type ConstraintPredicate, compileConstraints } from './constraints.js';
import { compileDefaultRule, type DefaultRuleTemplate } from './default-rule.js';
import { LabelObjectMerger, type ObjectKind } from './merge-objects.js';
import { type LabelService, readWorkloadLabels } from './read-labels.js';
import type { StreamLabelService, StreamLabels } from './read-stream-labels.js';
import { defaultServiceName, describeWorkload, isServing, type Workload } from './workload.js';
import { joinHostPort, resolveServerAddress } from './workload-address.js';

/** Traefik's default for `providers.docker.defaultRule`. */
export const DEFAULT_RULE = 'Host(`{{ normalize .Name }}`)';

/** The provider options the translation uses (Traefik's `providers.docker`), plus draining. */
export interface LabelTranslationOptions
  extends Partial<
    Pick<
      DockerProviderConfig,
      'exposedByDefault' | 'defaultRule' | 'network' | 'constraints' | 'allowEmptyServices' | 'useBindPortIP'
    >
  > {
  /** Ids of workloads being stopped: they receive no new traffic even though still running. */
  draining?: ReadonlySet<string>;
}

/** The options compiled once: template and constraints parsed, defaults applied. */
export interface CompiledLabelOptions {
  readonly compiled: true;
  exposedByDefault: boolean;
  defaultRule: DefaultRuleTemplate;
  network: string | undefined;
  constraints: ConstraintPredicate;
  allowEmptyServices: boolean;
  useBindPortIP: boolean;
}

/** What the translation produced: the configuration, the problems on its objects, and general warnings. */
export interface LabelConfigurationResult {
  config: DynamicConfiguration;
  issues: ConfigIssue[];
  warnings: string[];
  /** Which workloads define each object (`http.routers.web` → `containers shop-web-1`), its position in messages. */
  origins: Record<string, string>;
}

/** Applies defaults and compiles the default rule and constraints; throws ConfigError when they are invalid. */
export function compileLabelOptions(options: LabelTranslationOptions = {}): CompiledLabelOptions {
  return {
    compiled: true,
    exposedByDefault: options.exposedByDefault ?? true,
    defaultRule: compileDefaultRule(options.defaultRule ?? DEFAULT_RULE),
    network: options.network,
    constraints: compileConstraints(options.constraints),
    allowEmptyServices: options.allowEmptyServices ?? false,
    useBindPortIP: options.useBindPortIP ?? false,
  };
}

/**
 * Translates workloads into one dynamic configuration. Options may be raw (compiled here, and a
 * bad template or constraint throws ConfigError) or already compiled by compileLabelOptions.
 */
export function buildLabelConfiguration(
  workloads: readonly Workload[],
  options: LabelTranslationOptions | (CompiledLabelOptions & { draining?: ReadonlySet<string> }) = {},
): LabelConfigurationResult {
  const compiled = 'compiled' in options ? options : compileLabelOptions(options);
  const draining = options.draining ?? new Set<string>();
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const merger = new LabelObjectMerger();
  const tcpMerger = new LabelObjectMerger('tcp');
  const udpMerger = new LabelObjectMerger('udp');
  // Server faults are judged after merging: fatal only if no replica could provide a server.
  const serverFaults = new Map<string, ConfigIssue[]>();

  const sorted = [...workloads].sort((a, b) => compare(a.name, b.name));
  for (const workload of sorted) {
    const { name, labels } = workload;
    if (!workload.running) continue;
    if (!compiled.constraints(labels)) continue;
    const location = describeWorkload(workload);
    const read = readWorkloadLabels(location, labels);
    warnings.push(...read.warnings);
    const serviceName = defaultServiceName(workload);
    // Label faults that concern no single object are shown on the object the workload would create.
    const anchorOf = (root: string | undefined): string[] => {
      if (root === 'tcp' || root === 'udp') {
        const first = [...read[root].services.keys()][0];
        return [root, 'services', first ?? serviceName];
      }
      return ['http', 'services', serviceName];
    };
    const anchored = read.issues.map((issue) =>
      issue.path.length >= 3 ? issue : { ...issue, path: anchorOf(issue.path[0]) },
    );
    if (read.broken) {
      issues.push(...anchored);
      continue;
    }
    if (!(read.enable ?? compiled.exposedByDefault)) continue;
    issues.push(...anchored);
    const serving = isServing(workload) && !draining.has(workload.id);
    if (!serving && !compiled.allowEmptyServices) continue;

    const owner = { kind: workload.kind, name };
    const network = read.network ?? compiled.network;
    // TCP and UDP first, as in Traefik: a server it cannot build drops the whole workload.
    const streams: StreamPlan[] = [];
    let unbuildable = false;
    for (const protocol of ['tcp', 'udp'] as const) {
      const labels = read[protocol];
      if (labels.routers.size === 0 && labels.services.size === 0) continue;
      const plan = planStream(protocol, labels, serviceName, workload, serving, network, compiled);
      warnings.push(...plan.warnings);
      if (plan.fault !== undefined) {
        const key = `${protocol}.services.${plan.fault.service}`;
        const faults = serverFaults.get(key) ?? [];
        faults.push({
          path: [protocol, 'services', plan.fault.service],
          message: `${plan.fault.error}; the ${location} is ignored`,
          location,
          severity: 'error',
        });
        serverFaults.set(key, faults);
        unbuildable = true;
        break;
      }
      streams.push(plan);
    }
    if (unbuildable) continue;
    // Added once the whole workload is known to be usable (an HTTP server fault drops it all).
    const commitStreams = () => {
      for (const plan of streams) {
        const target = plan.protocol === 'tcp' ? tcpMerger : udpMerger;
        for (const [routerName, problem] of plan.routerProblems)
          issues.push({ ...problem, path: [plan.protocol, 'routers', routerName] });
        for (const [routerName, config] of plan.routers) target.add('routers', routerName, config, owner);
        for (const [svcName, config] of plan.services) target.add('services', svcName, config, owner);
      }
      // TCP middlewares and servers transports are kept whatever else the labels define.
      for (const kind of ['middlewares', 'serversTransports'] as const) {
        for (const [objectName, config] of read.tcp[kind]) tcpMerger.add(kind, objectName, config, owner);
      }
    };
    // TCP or UDP objects and no HTTP router, service or middleware: no default HTTP router either.
    if (streams.length > 0 && read.routers.size === 0 && read.services.size === 0 && read.middlewares.size === 0) {
      commitStreams();
      continue;
    }

    const services = new Map<string, LabelService>(read.services);
    if (services.size === 0) services.set(serviceName, { config: { loadBalancer: {} }, server: {} });

    // Every server first: one Traefik cannot build (no port to use…) drops the whole workload.
    const servers = new Map<string, ServerConfig>();
    for (const [svcName, { config, server }] of services) {
      if (!serving || config.loadBalancer === undefined || config.loadBalancer.servers !== undefined) continue;
      const built = buildServer(workload, server, network, compiled);
      warnings.push(...built.warnings);
      if ('error' in built) {
        const faults = serverFaults.get(`http.services.${svcName}`) ?? [];
        faults.push({
          path: ['http', 'services', svcName],
          message: `${built.error}; the ${location} is ignored`,
          location,
          severity: 'error',
        });
        serverFaults.set(`http.services.${svcName}`, faults);
        unbuildable = true;
      } else servers.set(svcName, built.server);
    }
    if (unbuildable) continue;
    commitStreams();

    const routers = new Map<string, RouterConfig>(read.routers);
    if (routers.size === 0) {
      if (services.size === 1) routers.set(serviceName, {});
      else warnings.push(`${location}: no router is created because its labels define several services`);
    }

    for (const [routerName, router] of routers) {
      const config: RouterConfig = { ...router };
      if (config.rule === undefined || config.rule.trim() === '') {
        let rule = '';
        try {
          rule = compiled.defaultRule.render({ Name: serviceName, ContainerName: name, Labels: labels });
        } catch (error) {
          issues.push(
            routerIssue(routerName, `the default rule cannot be rendered: ${(error as Error).message}`, location),
          );
          continue;
        }
        if (rule.trim() === '') {
          issues.push(routerIssue(routerName, 'the default rule rendered an empty rule; set a rule label', location));
          continue;
        }
        config.rule = rule;
      }
      if (config.service === undefined) {
        if (services.size !== 1) {
          issues.push(
            routerIssue(
              routerName,
              `the router names no service and the ${workload.kind} defines ${services.size}; set routers.${routerName}.service`,
              location,
            ),
          );
          continue;
        }
        config.service = [...services.keys()][0]!;
      }
      merger.add('routers', routerName, config as Record<string, unknown>, owner);
    }

    for (const [svcName, { config }] of services) {
      const service: ServiceConfig = structuredClone(config);
      if (service.loadBalancer !== undefined && service.loadBalancer.servers === undefined) {
        const built = servers.get(svcName);
        service.loadBalancer.servers = built === undefined ? [] : [built];
      }
      merger.add('services', svcName, service as Record<string, unknown>, owner);
    }
    for (const kind of ['middlewares', 'serversTransports'] as const) {
      for (const [objectName, config] of read[kind]) merger.add(kind, objectName, config, owner);
    }
  }

  issues.push(...merger.conflicts(), ...tcpMerger.conflicts(), ...udpMerger.conflicts());
  const http: Record<ObjectKind, Record<string, Record<string, unknown>>> = {
    routers: merger.objects('routers'),
    services: merger.objects('services'),
    middlewares: merger.objects('middlewares'),
    serversTransports: merger.objects('serversTransports'),
  };
  const sections: Record<string, Record<string, Record<string, unknown>>> = {
    http: http.services,
    tcp: tcpMerger.objects('services'),
    udp: udpMerger.objects('services'),
  };
  for (const [key, faults] of serverFaults) {
    const [section = 'http', , svcName = ''] = key.split('.');
    const found = sections[section]?.[svcName] as ServiceConfig | undefined;
    const servers = found?.loadBalancer?.servers ?? [];
    // Another replica still serves: the fault is worth a warning, not an outage.
    for (const fault of faults) issues.push({ ...fault, severity: servers.length > 0 ? 'warning' : 'error' });
  }
  // Without allowEmptyServices, a service whose every replica is gone is simply absent.
  const config: DynamicConfiguration = {
    http: {
      routers: http.routers as Record<string, RouterConfig>,
      services: http.services as Record<string, ServiceConfig>,
      middlewares: http.middlewares as NonNullable<NonNullable<DynamicConfiguration['http']>['middlewares']>,
      ...(Object.keys(http.serversTransports).length > 0 ? { serversTransports: http.serversTransports } : {}),
    },
  };
  const tcp = streamSection(tcpMerger, ['routers', 'services', 'middlewares', 'serversTransports']);
  if (tcp !== undefined) config.tcp = tcp;
  const udp = streamSection(udpMerger, ['routers', 'services']);
  if (udp !== undefined) config.udp = udp;
  return { config, issues, warnings, origins: { ...merger.origins(), ...tcpMerger.origins(), ...udpMerger.origins() } };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function routerIssue(name: string, message: string, location: string): ConfigIssue {
  return { path: ['http', 'routers', name], message, location, severity: 'error' };
}

function buildServer(
  workload: Workload,
  spec: LabelService['server'],
  network: string | undefined,
  options: CompiledLabelOptions,
): { server: ServerConfig; warnings: string[] } | { error: string; warnings: string[] } {
  const extras: Partial<ServerConfig> = {};
  if (spec.weight !== undefined) extras.weight = spec.weight;
  if (spec.preservePath !== undefined) extras.preservePath = spec.preservePath;
  if (spec.url !== undefined) return { server: { url: spec.url, ...extras }, warnings: [] };
  const address = resolveServerAddress(workload, { network, port: spec.port, useBindPortIP: options.useBindPortIP });
  if (!address.ok) return { error: address.error, warnings: address.warnings };
  const scheme = spec.scheme ?? 'http';
  return {
    server: { url: `${scheme}://${joinHostPort(address.host, address.port)}`, ...extras },
    warnings: address.warnings,
  };
}

/** What one workload's `tcp.*` or `udp.*` labels give, once its servers are known. */
interface StreamPlan {
  protocol: 'tcp' | 'udp';
  routers: Map<string, Record<string, unknown>>;
  services: Map<string, Record<string, unknown>>;
  /** Routers left out, with why (no rule, no service to link). */
  routerProblems: Map<string, ConfigIssue>;
  /** A server that cannot be built: the workload is dropped. */
  fault?: { service: string; error: string };
  warnings: string[];
}

/**
 * Traefik's TCP/UDP label rules: without a service label, one service named after the workload;
 * each load-balancer service gets the workload as its server (`ip:port`, the port from
 * `loadbalancer.server.port` or the lowest exposed one); a router without `service` takes the
 * only service (several: the router is left out); a TCP router without a rule is left out (there
 * is no default TCP rule).
 */
function planStream(
  protocol: 'tcp' | 'udp',
  labels: StreamLabels,
  serviceName: string,
  workload: Workload,
  serving: boolean,
  network: string | undefined,
  options: CompiledLabelOptions,
): StreamPlan {
  const plan: StreamPlan = {
    protocol,
    routers: new Map(),
    services: new Map(),
    routerProblems: new Map(),
    warnings: [],
  };
  const declared: Map<string, StreamLabelService> =
    labels.services.size > 0 ? labels.services : new Map([[serviceName, { config: { loadBalancer: {} }, server: {} }]]);
  const location = describeWorkload(workload);
  for (const [svcName, { config, server }] of declared) {
    const service = structuredClone(config);
    const lb = service.loadBalancer as Record<string, unknown> | undefined;
    if (lb === undefined || lb === null || typeof lb !== 'object') {
      plan.fault = { service: svcName, error: `${protocol} service ${svcName}: the load-balancer is not defined` };
      return plan;
    }
    if (serving) {
      const address = resolveServerAddress(workload, {
        network,
        port: server.port ?? (protocol === 'udp' ? lowestOfAnyProtocol(workload) : undefined),
        useBindPortIP: options.useBindPortIP,
      });
      plan.warnings.push(...address.warnings);
      if (!address.ok) {
        plan.fault = { service: svcName, error: address.error };
        return plan;
      }
      lb.servers = [
        { address: joinHostPort(address.host, address.port), ...(server.tls === true ? { tls: true } : {}) },
      ];
    } else lb.servers = [];
    plan.services.set(svcName, service);
  }
  for (const [routerName, router] of labels.routers) {
    const config = { ...router };
    if (protocol === 'tcp' && (typeof config.rule !== 'string' || config.rule.trim() === '')) {
      plan.routerProblems.set(routerName, {
        path: [],
        message: 'the TCP router has no rule (there is no default rule for TCP); set a rule label',
        location,
        severity: 'error',
      });
      continue;
    }
    if (config.service === undefined || config.service === '') {
      if (plan.services.size !== 1) {
        plan.routerProblems.set(routerName, {
          path: [],
          message: `the router names no service and the ${workload.kind} defines ${plan.services.size} ${protocol.toUpperCase()} services; set ${protocol}.routers.${routerName}.service`,
          location,
          severity: 'error',
        });
        continue;
      }
      config.service = [...plan.services.keys()][0];
    }
    plan.routers.set(routerName, config);
  }
  return plan;
}

/**
 * A UDP service's default port: the lowest the container exposes whatever its protocol, as
 * Traefik picks it (a DNS container may expose only `53/udp`); undefined to let the address
 * resolution use the lowest TCP one.
 */
function lowestOfAnyProtocol(workload: Workload): string | undefined {
  const address = workload.address;
  if (address.kind !== 'networks' || address.udpPorts === undefined || address.udpPorts.length === 0) return undefined;
  return String(Math.min(...address.ports, ...address.udpPorts));
}

/** The merged objects of a TCP or UDP merger, or undefined when the labels defined none. */
function streamSection(
  merger: LabelObjectMerger,
  kinds: ObjectKind[],
): Record<string, Record<string, Record<string, unknown>>> | undefined {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  let any = false;
  for (const kind of kinds) {
    const objects = merger.objects(kind);
    out[kind] = objects;
    if (Object.keys(objects).length > 0 || merger.hasAny(kind)) any = true;
  }
  return any ? out : undefined;
}
