/**
 * The pure half of the Docker provider: container-inspect objects in, one dynamic configuration
 * out, following Traefik v3's label conventions (docs/configuration.md, "Docker provider"). No I/O, so it
 * is tested with fixtures and no daemon; the client (docker-provider.ts) only feeds it.
 */
import type { DynamicConfiguration, RouterConfig, ServerConfig, ServiceConfig } from '../../config/dynamic-schema.js';
import type { DockerProviderConfig } from '../../config/static-schema.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import { type ConstraintPredicate, compileConstraints } from './constraints.js';
import {
  type ContainerInspect,
  composeIdentity,
  containerLabels,
  containerName,
  isHealthy,
  isRunning,
} from './container-inspect.js';
import { type LabelService, readContainerLabels } from './container-labels.js';
import { compileDefaultRule, type DefaultRuleTemplate } from './default-rule.js';
import { ContainerConfigurationMerger, type ObjectKind } from './merge-containers.js';
import { normalizeName } from './normalize.js';
import { joinHostPort, resolveServerAddress } from './server-address.js';

export type { ContainerInspect } from './container-inspect.js';

/** Traefik's default for `providers.docker.defaultRule`. */
export const DEFAULT_RULE = 'Host(`{{ normalize .Name }}`)';

/** The provider options the translation uses (Traefik's `providers.docker`), plus draining. */
export interface DockerTranslationOptions
  extends Partial<
    Pick<
      DockerProviderConfig,
      'exposedByDefault' | 'defaultRule' | 'network' | 'constraints' | 'allowEmptyServices' | 'useBindPortIP'
    >
  > {
  /** Ids of containers being stopped: they receive no new traffic even though still running. */
  draining?: ReadonlySet<string>;
}

/** The options compiled once: template and constraints parsed, defaults applied. */
export interface CompiledDockerOptions {
  readonly compiled: true;
  exposedByDefault: boolean;
  defaultRule: DefaultRuleTemplate;
  network: string | undefined;
  constraints: ConstraintPredicate;
  allowEmptyServices: boolean;
  useBindPortIP: boolean;
}

/** What the translation produced: the configuration, the problems on its objects, and general warnings. */
export interface DockerConfigurationResult {
  config: DynamicConfiguration;
  issues: ConfigIssue[];
  warnings: string[];
}

/** Applies defaults and compiles the default rule and constraints; throws ConfigError when they are invalid. */
export function compileDockerOptions(options: DockerTranslationOptions = {}): CompiledDockerOptions {
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

/** The name of the service a container gets when its labels define none (compose: `<service>-<project>`). */
export function defaultServiceName(container: ContainerInspect): string {
  const compose = composeIdentity(container);
  return normalizeName(compose ? `${compose.service}_${compose.project}` : containerName(container));
}

/**
 * Translates containers into one dynamic configuration. Options may be raw (compiled here, and a
 * bad template or constraint throws ConfigError) or already compiled by compileDockerOptions.
 */
export function buildDockerConfiguration(
  containers: readonly ContainerInspect[],
  options: DockerTranslationOptions | (CompiledDockerOptions & { draining?: ReadonlySet<string> }) = {},
): DockerConfigurationResult {
  const compiled = 'compiled' in options ? options : compileDockerOptions(options);
  const draining = options.draining ?? new Set<string>();
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const merger = new ContainerConfigurationMerger();
  // Server faults are judged after merging: fatal only if no replica could provide a server.
  const serverFaults = new Map<string, ConfigIssue[]>();

  const byIdOrName = new Map<string, ContainerInspect>();
  for (const container of containers) {
    byIdOrName.set(container.Id, container);
    byIdOrName.set(containerName(container), container);
  }
  const lookup = (key: string): ContainerInspect | undefined =>
    byIdOrName.get(key) ?? containers.find((c) => c.Id.startsWith(key));

  const sorted = [...containers].sort((a, b) => compare(containerName(a), containerName(b)));
  for (const container of sorted) {
    const name = containerName(container);
    const labels = containerLabels(container);
    if (!isRunning(container)) continue;
    if (!compiled.constraints(labels)) continue;
    const read = readContainerLabels(name, labels);
    warnings.push(...read.warnings);
    const serviceName = defaultServiceName(container);
    // Label faults that concern no single object are shown on the object the container would create.
    const anchored = read.issues.map((issue) =>
      issue.path.length >= 3 ? issue : { ...issue, path: ['http', 'services', serviceName] },
    );
    if (read.broken) {
      issues.push(...anchored);
      continue;
    }
    if (!(read.enable ?? compiled.exposedByDefault)) continue;
    issues.push(...anchored);
    const serving = isHealthy(container) && !draining.has(container.Id);
    if (!serving && !compiled.allowEmptyServices) continue;

    const location = `container ${name}`;
    const tcpOnly = read.hasTcpOrUdp && read.routers.size === 0 && read.services.size === 0;
    const services = new Map<string, LabelService>(read.services);
    if (services.size === 0 && !tcpOnly) services.set(serviceName, { config: { loadBalancer: {} }, server: {} });
    const routers = new Map<string, RouterConfig>(read.routers);
    if (routers.size === 0 && !tcpOnly) {
      if (services.size === 1) routers.set(serviceName, {});
      else warnings.push(`container ${name}: no router is created because its labels define several services`);
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
              `the router names no service and the container defines ${services.size}; set routers.${routerName}.service`,
              location,
            ),
          );
          continue;
        }
        config.service = [...services.keys()][0]!;
      }
      merger.add('routers', routerName, config as Record<string, unknown>, name);
    }

    for (const [svcName, { config, server }] of services) {
      const service: ServiceConfig = structuredClone(config);
      if (service.loadBalancer !== undefined && service.loadBalancer.servers === undefined) {
        service.loadBalancer.servers = [];
        if (serving) {
          const built = buildServer(container, server, read.network ?? compiled.network, compiled, lookup);
          warnings.push(...built.warnings);
          if ('error' in built) {
            const faults = serverFaults.get(svcName) ?? [];
            faults.push({ path: ['http', 'services', svcName], message: built.error, location, severity: 'error' });
            serverFaults.set(svcName, faults);
          } else {
            service.loadBalancer.servers.push(built.server);
          }
        }
      }
      merger.add('services', svcName, service as Record<string, unknown>, name);
    }
    for (const kind of ['middlewares', 'serversTransports'] as const) {
      for (const [objectName, config] of read[kind]) merger.add(kind, objectName, config, name);
    }
  }

  issues.push(...merger.conflicts());
  const http: Record<ObjectKind, Record<string, Record<string, unknown>>> = {
    routers: merger.objects('routers'),
    services: merger.objects('services'),
    middlewares: merger.objects('middlewares'),
    serversTransports: merger.objects('serversTransports'),
  };
  for (const [svcName, faults] of serverFaults) {
    const servers = (http.services[svcName] as ServiceConfig | undefined)?.loadBalancer?.servers ?? [];
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
  return { config, issues, warnings };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function routerIssue(name: string, message: string, location: string): ConfigIssue {
  return { path: ['http', 'routers', name], message, location, severity: 'error' };
}

function buildServer(
  container: ContainerInspect,
  spec: LabelService['server'],
  network: string | undefined,
  options: CompiledDockerOptions,
  lookup: (key: string) => ContainerInspect | undefined,
): { server: ServerConfig; warnings: string[] } | { error: string; warnings: string[] } {
  const extras: Partial<ServerConfig> = {};
  if (spec.weight !== undefined) extras.weight = spec.weight;
  if (spec.preservePath !== undefined) extras.preservePath = spec.preservePath;
  if (spec.url !== undefined) return { server: { url: spec.url, ...extras }, warnings: [] };
  const address = resolveServerAddress(container, {
    network,
    port: spec.port,
    useBindPortIP: options.useBindPortIP,
    lookup,
  });
  if (!address.ok) return { error: address.error, warnings: address.warnings };
  const scheme = spec.scheme ?? 'http';
  return {
    server: { url: `${scheme}://${joinHostPort(address.host, address.port)}`, ...extras },
    warnings: address.warnings,
  };
}
