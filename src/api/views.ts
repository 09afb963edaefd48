/**
 * How the runtime configuration looks in the API, in Traefik's shapes: configuration fields as
 * written, then `status`, `error` (omitted when empty), `usedBy`, `name` (qualified) and
 * `provider`; services add `serverStatus` (UP/DOWN per server URL, from the upstream registry)
 * and `type`; `/api/rawdata` has the same objects keyed by name, without `name`/`provider`.
 */
import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import type { StaticWarning } from '../config/static-loader.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import { qualify } from '../core/names.js';
import type {
  ProviderFailure,
  RuntimeConfiguration,
  RuntimeIssue,
  RuntimeMiddleware,
  RuntimeObject,
  RuntimeRouter,
  RuntimeService,
} from '../server/runtime.js';
import type { Listed } from './list-query.js';
import { pendingByName } from './pending-views.js';

/** What the views read from the running process. */
export interface ConfigurationView {
  readonly runtime: RuntimeConfiguration;
  readonly upstreams: UpstreamRegistry;
  /** Provider names, in start order. */
  providerNames(): string[];
  failures(): ProviderFailure[];
  /** Remarks about the static configuration (unknown or unhonoured keys), read once at start. */
  staticWarnings(): readonly StaticWarning[];
}

type Json = Record<string, unknown>;

function common(object: RuntimeObject<unknown>, out: Json, withUsedBy: boolean): Json {
  out.status = object.status;
  if (object.errors.length > 0) out.error = [...object.errors];
  if (withUsedBy && object.usedBy.length > 0) out.usedBy = [...object.usedBy].sort();
  return out;
}

function named(object: { name: string; provider: string }, out: Json): Json {
  out.name = object.name;
  out.provider = object.provider;
  return out;
}

/** A router as Traefik shows it (without name/provider: rawdata). */
export function routerInfo(router: RuntimeRouter): Json {
  const out: Json = { ...(router.config as Json | undefined) };
  if (router.config !== undefined) {
    if (out.entryPoints === undefined && router.using.length > 0) out.entryPoints = [...router.using];
    if (router.priority !== 0) out.priority = router.priority;
  }
  common(router, out, false);
  if (router.using.length > 0) out.using = [...router.using];
  return out;
}

/** The qualified service and middlewares of a router (for filters and usedBy). */
export function routerLinks(router: RuntimeRouter): { service?: string; middlewares: string[] } {
  const config = router.config;
  return {
    service: config?.service === undefined ? undefined : qualify(config.service, router.provider),
    middlewares: (config?.middlewares ?? []).map((m) => qualify(m, router.provider)),
  };
}

/** A service as Traefik shows it (without name/provider: rawdata). */
export function serviceInfo(service: RuntimeService, upstreams: UpstreamRegistry): Json {
  const out: Json = { ...(service.config as Json | undefined) };
  const balancer = service.config?.loadBalancer;
  if (balancer !== undefined) out.loadBalancer = { ...balancer, passHostHeader: balancer.passHostHeader ?? true };
  common(service, out, true);
  if (balancer !== undefined && service.status !== 'disabled') {
    const now = Date.now();
    const status: Record<string, 'UP' | 'DOWN'> = {};
    for (const server of balancer.servers ?? []) {
      const state = upstreams.peek(server.url);
      status[server.url] = state === undefined || state.available(now) ? 'UP' : 'DOWN';
    }
    if (Object.keys(status).length > 0) out.serverStatus = status;
  }
  return out;
}

/** A middleware as Traefik shows it (without name/provider: rawdata). */
export function middlewareInfo(middleware: RuntimeMiddleware): Json {
  return common(middleware, { ...(middleware.config as Json | undefined) }, true);
}

/** Lower-case type key, as Traefik's API writes it (`stripprefix`, `loadbalancer`). */
function typeOf(object: { type: string | undefined; config: unknown }): string | undefined {
  const type = object.type ?? (object.config === undefined ? undefined : Object.keys(object.config as object)[0]);
  return type?.toLowerCase();
}

/** Internal services (`api@internal`, …) that routers use: Traefik lists them as services too. */
export function internalServices(runtime: RuntimeConfiguration): RuntimeService[] {
  const users = new Map<string, string[]>();
  for (const router of runtime.routers.values()) {
    const service = routerLinks(router).service;
    if (service?.endsWith('@internal') && !runtime.services.has(service)) {
      users.set(service, [...(users.get(service) ?? []), router.name]);
    }
  }
  return [...users].map(([name, usedBy]) => ({
    name,
    provider: 'internal',
    config: undefined,
    status: 'enabled',
    errors: [],
    usedBy,
    type: undefined,
  }));
}

/** Every service, including the internal ones in use. */
export function allServices(runtime: RuntimeConfiguration): RuntimeService[] {
  return [...runtime.services.values(), ...internalServices(runtime)];
}

/** Routers for the list endpoint. */
export function listedRouters(view: ConfigurationView): Listed[] {
  return [...view.runtime.routers.values()].map((router) => ({
    name: router.name,
    status: router.status,
    searchAlso: router.config?.rule,
    ...routerLinks(router),
    view: routerView(router),
  }));
}

/** One router with name and provider. */
export function routerView(router: RuntimeRouter): Json {
  return named(router, routerInfo(router));
}

/** One service with name, provider and type. */
export function serviceView(service: RuntimeService, upstreams: UpstreamRegistry): Json {
  const out = named(service, serviceInfo(service, upstreams));
  const type = typeOf(service);
  if (type !== undefined) out.type = type;
  return out;
}

/** One middleware with name, provider and type. */
export function middlewareView(middleware: RuntimeMiddleware): Json {
  const out = named(middleware, middlewareInfo(middleware));
  const type = typeOf(middleware);
  if (type !== undefined) out.type = type;
  return out;
}

/** Services for the list endpoint. */
export function listedServices(view: ConfigurationView): Listed[] {
  return allServices(view.runtime).map((service) => ({
    name: service.name,
    status: service.status,
    view: serviceView(service, view.upstreams),
  }));
}

/** Middlewares for the list endpoint. */
export function listedMiddlewares(view: ConfigurationView): Listed[] {
  return [...view.runtime.middlewares.values()].map((middleware) => ({
    name: middleware.name,
    status: middleware.status,
    view: middlewareView(middleware),
  }));
}

function counts(objects: Iterable<RuntimeObject<unknown>>): { total: number; warnings: number; errors: number } {
  const out = { total: 0, warnings: 0, errors: 0 };
  for (const object of objects) {
    out.total++;
    if (object.status === 'warning') out.warnings++;
    else if (object.status === 'disabled') out.errors++;
  }
  return out;
}

/** `/api/overview`: totals per kind, features, providers, and (Switchyard's addition) provider failures. */
export function overview(view: ConfigurationView, config: StaticConfiguration): Json {
  const runtime = view.runtime;
  return {
    http: {
      routers: counts(runtime.routers.values()),
      services: counts(allServices(runtime)),
      middlewares: counts(runtime.middlewares.values()),
    },
    tcp: {
      routers: counts(runtime.tcp.routers.values()),
      services: counts(runtime.tcp.services.values()),
      middlewares: counts(runtime.tcp.middlewares.values()),
    },
    udp: { routers: counts(runtime.udp.routers.values()), services: counts(runtime.udp.services.values()) },
    features: {
      tracing: '',
      metrics: config.metrics.prometheus === undefined ? '' : 'Prometheus',
      accessLog: config.accessLog !== undefined,
    },
    providers: view.providerNames().map((name) => name.charAt(0).toUpperCase() + name.slice(1)),
    failures: view.failures(),
  };
}

/**
 * Every remark that concerns no single object: the static configuration's (source `static`),
 * then each provider's (unknown keys, sections not implemented).
 */
function issuesList(view: ConfigurationView): RuntimeIssue[] {
  const fromStatic = view.staticWarnings().map(
    (w): RuntimeIssue => ({
      severity: 'warning',
      key: w.key,
      message: w.message,
      source: 'static',
      ...(w.location === undefined ? {} : { location: w.location }),
    }),
  );
  return [...fromStatic, ...view.runtime.issues];
}

/**
 * `/api/rawdata`: every object by name, Traefik's keys (`routers` … `udpServices`), plus
 * Switchyard's `issues` (issuesList).
 */
export function rawData(view: ConfigurationView): Json {
  const routers: Json = {};
  const services: Json = {};
  const middlewares: Json = {};
  const byName = <T extends { name: string }>(list: Iterable<T>) =>
    [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const router of byName(view.runtime.routers.values())) routers[router.name] = routerInfo(router);
  for (const service of byName(allServices(view.runtime)))
    services[service.name] = serviceInfo(service, view.upstreams);
  for (const middleware of byName(view.runtime.middlewares.values()))
    middlewares[middleware.name] = middlewareInfo(middleware);
  const { tcp, udp } = view.runtime;
  return {
    routers,
    middlewares,
    services,
    tcpRouters: pendingByName(tcp.routers.values()),
    tcpMiddlewares: pendingByName(tcp.middlewares.values()),
    tcpServices: pendingByName(tcp.services.values(), view.upstreams),
    udpRouters: pendingByName(udp.routers.values()),
    udpServices: pendingByName(udp.services.values()),
    issues: issuesList(view),
  };
}

/** Go's time.Duration formatting (`60s`, `3m0s`, `1h0m0s`, `0s`, `500ms`). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.round((total % 60) * 1000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** An entry point as Traefik shows it. */
export function entryPointView(
  name: string,
  entry: StaticConfiguration['entryPoints'][string],
  tlsCounters?: { handshakes: number; failures: number; timeouts: number },
): Json {
  const timeouts = entry.transport.respondingTimeouts;
  const http: Json = {};
  if (entry.http.redirections?.entryPoint !== undefined)
    http.redirections = { entryPoint: { ...entry.http.redirections.entryPoint } };
  if (entry.http.middlewares.length > 0) http.middlewares = [...entry.http.middlewares];
  if (entry.http.tls !== undefined) http.tls = { ...entry.http.tls };
  const forwarded: Json = {};
  if (entry.forwardedHeaders.insecure) forwarded.insecure = true;
  if (entry.forwardedHeaders.trustedIPs.length > 0) forwarded.trustedIPs = [...entry.forwardedHeaders.trustedIPs];
  return {
    address: entry.address,
    transport: {
      respondingTimeouts: {
        readTimeout: goDuration(timeouts.readTimeout),
        writeTimeout: goDuration(timeouts.writeTimeout),
        idleTimeout: goDuration(timeouts.idleTimeout),
      },
    },
    forwardedHeaders: forwarded,
    http,
    name,
    // Switchyard's own: TLS handshakes completed, failed and timed out on this process's listener.
    ...(tlsCounters !== undefined && tlsCounters.handshakes + tlsCounters.failures + tlsCounters.timeouts > 0
      ? { tls: { ...tlsCounters } }
      : {}),
  };
}
