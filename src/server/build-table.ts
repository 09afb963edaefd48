/**
 * Builds a routing table from a runtime configuration. Every router is compiled on its own: a
 * bad rule, a missing service or a broken middleware disables that router (its error goes on
 * the runtime object, for the API and `check`) while the rest keeps routing. What is not
 * implemented yet (TCP, UDP) is reported first (unimplemented.ts) and never routed.
 *
 * TLS (build-tls.ts): on each of its entry points a router is a TLS route (its own `tls`, or the
 * entry point's `http.tls`) or a plaintext one, never both; the entry point's `http.middlewares`
 * come before the router's own. Entry points with TLS routes get a `TlsPolicy`.
 */

import type { RouterTlsConfig } from '../config/tls-schema.js';
import type { Logger } from '../core/logger.js';
import { qualify } from '../core/names.js';
import type { Handler } from '../core/request-context.js';
import { buildMiddleware } from '../middlewares/index.js';
import { optionPath } from '../middlewares/options.js';
import type { MiddlewareWrapper } from '../middlewares/types.js';
import { compileRuleMatcher } from '../rules/index.js';
import { CertificateStore } from '../tls/certificate-store.js';
import type { CompiledTlsOptions } from '../tls/tls-options.js';
import { TlsPolicy } from '../tls/tls-policy.js';
import { BuildOnce } from './build-once.js';
import { type ServiceBuildDeps, ServiceBuilder } from './build-services.js';
import { buildTls, resolveRouterTls, ruleHosts, type TlsBuild } from './build-tls.js';
import { childMux, linkRouterTree, parentsOf } from './router-tree.js';
import { type Route, RoutingTable } from './routing-table.js';
import { addError, type RuntimeConfiguration, type RuntimeRouter } from './runtime.js';
import { reportUnimplemented } from './unimplemented.js';

/** What building a table needs besides the runtime configuration. */
export interface TableBuildDeps extends ServiceBuildDeps {
  /** Names of the entry points that exist. */
  entryPoints: readonly string[];
  /** Entry points a router without `entryPoints` attaches to. */
  defaultEntryPoints: readonly string[];
  /** Where middlewares log request-time failures (an unreachable auth server); silent when absent. */
  logger?: Logger;
  /** What entry points give their routers (`entryPoints.<ep>.http.tls`, `.http.middlewares`). */
  models?: ReadonlyMap<string, EntryPointModel>;
  /** The process's certificate store (a throwaway one when absent: `check`, `explain`). */
  certificates?: CertificateStore;
  /** Names of the certificate resolvers that exist (`tls.certResolver`). */
  certResolvers?: ReadonlySet<string>;
}

/** Traefik's entry-point model: defaults an entry point gives every router on it. */
export interface EntryPointModel {
  /** `entryPoints.<ep>.http.tls`: routers without `tls` get this one. */
  readonly tls?: RouterTlsConfig;
  /** `entryPoints.<ep>.http.middlewares`, run before each router's own. */
  readonly middlewares: readonly string[];
}

/** The built table, and what it uses (so the caller can prune pools and states after the swap). */
export interface BuiltTable {
  table: RoutingTable;
  services: ServiceBuilder;
  /** The compiled TLS options of this configuration. */
  tls: TlsBuild;
}

/** Builds the routing table, recording errors and statuses on `runtime` as it goes. */
export function buildRoutingTable(runtime: RuntimeConfiguration, deps: TableBuildDeps): BuiltTable {
  reportUnimplemented(runtime);
  const store = deps.certificates ?? new CertificateStore();
  const certResolvers = deps.certResolvers ?? new Set<string>();
  const tls = buildTls(runtime, store, certResolvers);
  const resolution = { tls, certResolvers };
  const services = new ServiceBuilder(runtime, deps);
  const middlewares = new MiddlewareBuilder(runtime, services, deps.logger ?? SILENT);
  const routes = new Map<string, Route[]>();
  const tlsRoutes = new Map<string, Route[]>();
  /** Per entry point, the options each TLS router's host asks for (null: routers disagree). */
  const hostOptions = new Map<string, Map<string, { options: CompiledTlsOptions | null; routers: string[] }>>();
  for (const name of deps.entryPoints) {
    routes.set(name, []);
    tlsRoutes.set(name, []);
  }

  const tree: RouteTree = { children: linkRouterTree(runtime), built: new Map() };
  for (const router of runtime.routers.values()) {
    // A router with parents is reached through them (multi-layer routing), never an entry point.
    if (parentsOf(router).length > 0) continue;
    const built = buildRoute(router, runtime, services, middlewares, deps, tree, null);
    if (built === undefined) continue;
    // TLS is decided per entry point (its own `tls`, or the entry point's); any error disables the router.
    const perEntryPoint: Array<[string, CompiledTlsOptions | null]> = [];
    for (const entryPoint of router.using) {
      const options = resolveRouterTls(router, deps.models?.get(entryPoint)?.tls, resolution);
      if (options instanceof Error) {
        addError(router, options.message);
        break;
      }
      perEntryPoint.push([entryPoint, options]);
    }
    if (router.status === 'disabled') continue;
    router.tlsOn = perEntryPoint.filter(([, options]) => options !== null).map(([entryPoint]) => entryPoint);
    for (const [entryPoint, options] of perEntryPoint) {
      const route = withEntryPointMiddlewares(built.route, deps.models?.get(entryPoint), router, middlewares);
      if (route === undefined) break;
      if (options === null) {
        routes.get(entryPoint)?.push(route);
        continue;
      }
      tlsRoutes.get(entryPoint)?.push(route);
      let hosts = hostOptions.get(entryPoint);
      if (hosts === undefined) {
        hosts = new Map();
        hostOptions.set(entryPoint, hosts);
      }
      for (const host of built.hosts) {
        const known = hosts.get(host);
        if (known === undefined) hosts.set(host, { options, routers: [router.name] });
        else {
          known.routers.push(router.name);
          if (known.options !== options) known.options = null;
        }
      }
    }
  }
  const policies = new Map<string, TlsPolicy>();
  for (const entryPoint of deps.entryPoints) {
    const hosts = hostOptions.get(entryPoint);
    const hasTls = (tlsRoutes.get(entryPoint)?.length ?? 0) > 0 || deps.models?.get(entryPoint)?.tls !== undefined;
    if (!hasTls) continue;
    const byHost = new Map<string, CompiledTlsOptions>();
    for (const [host, { options, routers }] of hosts ?? []) {
      if (options !== null) {
        if (options !== tls.defaults) byHost.set(host, options);
        continue;
      }
      // Traefik's answer to one host with different options: the default options, announced.
      for (const name of routers) {
        const router = runtime.routers.get(name);
        if (router !== undefined) {
          addError(
            router,
            `different TLS options for routers on the same host ${host} (entry point ${entryPoint}); the default TLS options apply to it`,
            'warning',
          );
        }
      }
    }
    policies.set(entryPoint, new TlsPolicy(store, tls.defaults, byHost));
  }
  // Build services nobody routes to as well, so their errors show in the API and `check`.
  for (const name of runtime.services.keys()) {
    try {
      services.get(name);
    } catch {
      // Recorded on the service already.
    }
  }
  for (const name of runtime.middlewares.keys()) middlewares.tryBuild(name);
  return { table: new RoutingTable(routes, tlsRoutes, policies), services, tls };
}

/** Multi-layer routing: children by parent, and each child route built once (a child may have several parents). */
interface RouteTree {
  children: Map<string, string[]>;
  built: Map<string, Route | undefined>;
}

function buildRoute(
  router: RuntimeRouter,
  runtime: RuntimeConfiguration,
  services: ServiceBuilder,
  middlewares: MiddlewareBuilder,
  deps: TableBuildDeps,
  tree: RouteTree,
  parent: RuntimeRouter | null,
): { route: Route; hosts: string[] } | undefined {
  const config = router.config;
  if (parent !== null) {
    // A child listens where its parents do (for the API); it is built once.
    for (const entryPoint of parent.using) if (!router.using.includes(entryPoint)) router.using.push(entryPoint);
    if (tree.built.has(router.name)) {
      const route = tree.built.get(router.name);
      return route && { route, hosts: [] };
    }
    tree.built.set(router.name, undefined);
  }
  if (config === undefined || router.status === 'disabled') return undefined;

  if (parent === null) {
    const requested = config.entryPoints ?? deps.defaultEntryPoints;
    router.using = [];
    for (const entryPoint of requested) {
      if (deps.entryPoints.includes(entryPoint)) router.using.push(entryPoint);
      else addError(router, `entryPoint "${entryPoint}" doesn't exist`, 'warning');
    }
    if (router.using.length === 0) {
      addError(router, 'no valid entryPoint for this router');
      return undefined;
    }
  }

  if (config.rule === undefined || config.rule.trim() === '') {
    addError(router, 'the router has no rule');
    return undefined;
  }
  let match: Route['match'];
  let hosts: string[];
  try {
    const compiled = compileRuleMatcher(config.rule);
    match = compiled.match;
    hosts = ruleHosts(compiled.ast);
  } catch (error) {
    addError(router, (error as Error).message);
    return undefined;
  }
  router.priority = config.priority !== undefined && config.priority !== 0 ? config.priority : config.rule.length;

  let handler: Handler;
  const childNames = tree.children.get(router.name) ?? [];
  if (childNames.length > 0) {
    const childRoutes: Route[] = [];
    for (const name of childNames) {
      const child = runtime.routers.get(name);
      const built = child && buildRoute(child, runtime, services, middlewares, deps, tree, router);
      if (built !== undefined) childRoutes.push(built.route);
    }
    handler = childMux(childRoutes);
  } else {
    if (config.service === undefined) {
      addError(router, 'the router has no service');
      return undefined;
    }
    const serviceName = qualify(config.service, router.provider);
    try {
      handler = services.get(serviceName).handler;
    } catch (error) {
      addError(router, (error as Error).message);
      return undefined;
    } finally {
      const service = runtime.services.get(serviceName);
      if (service !== undefined && !service.usedBy.includes(router.name)) service.usedBy.push(router.name);
    }
  }

  const wrappers: MiddlewareWrapper[] = [];
  for (const reference of config.middlewares ?? []) {
    const name = qualify(reference, router.provider);
    const middleware = runtime.middlewares.get(name);
    if (middleware !== undefined && !middleware.usedBy.includes(router.name)) middleware.usedBy.push(router.name);
    try {
      wrappers.push(middlewares.get(name));
    } catch (error) {
      addError(router, (error as Error).message);
      return undefined;
    }
  }
  for (let i = wrappers.length - 1; i >= 0; i--) handler = (wrappers[i] as MiddlewareWrapper)(handler);
  const route = { name: router.name, priority: router.priority, match, handler };
  if (parent !== null) tree.built.set(router.name, route);
  return { route, hosts };
}
/** The route with the entry point's `http.middlewares` in front (Traefik's model), or as is without any. */
function withEntryPointMiddlewares(
  route: Route,
  model: EntryPointModel | undefined,
  router: RuntimeRouter,
  middlewares: MiddlewareBuilder,
): Route | undefined {
  if (model === undefined || model.middlewares.length === 0) return route;
  let handler = route.handler;
  for (let i = model.middlewares.length - 1; i >= 0; i--) {
    const name = qualify(model.middlewares[i] as string, router.provider);
    try {
      handler = middlewares.get(name)(handler);
    } catch (error) {
      addError(router, `entry point middleware: ${(error as Error).message}`);
      return undefined;
    }
  }
  return { ...route, handler };
}

/** Builds middlewares once each by qualified name, with cycle detection for chains. */
class MiddlewareBuilder {
  private readonly built = new BuildOnce<MiddlewareWrapper>((name) => this.build(name));
  private readonly building = new Set<string>();

  constructor(
    private readonly runtime: RuntimeConfiguration,
    private readonly services: ServiceBuilder,
    private readonly logger: Logger,
  ) {}

  /** Builds a middleware for its errors only (unused ones must still be checked). */
  tryBuild(name: string): void {
    try {
      this.get(name);
    } catch {
      // Recorded on the middleware.
    }
  }

  get(name: string): MiddlewareWrapper {
    return this.built.get(name);
  }

  private build(name: string): MiddlewareWrapper | Error {
    const middleware = this.runtime.middlewares.get(name);
    if (middleware === undefined) return new Error(`middleware "${name}" does not exist`);
    if (middleware.config === undefined || middleware.status === 'disabled') {
      return new Error(`middleware "${name}" is disabled: ${middleware.errors.join('; ')}`);
    }
    if (this.building.has(name)) return new Error(`middleware reference cycle through "${name}"`);
    middleware.type = Object.keys(middleware.config)[0];
    this.building.add(name);
    try {
      return buildMiddleware(name, middleware.config, {
        name,
        resolve: (reference) => {
          const child = qualify(reference, middleware.provider);
          const childObject = this.runtime.middlewares.get(child);
          if (childObject !== undefined && !childObject.usedBy.includes(name)) childObject.usedBy.push(name);
          return this.get(child);
        },
        // The `errors` middleware calls its error-page service itself, through the same handlers
        // routers use (built once per table); the service lists the middleware among its users.
        service: (reference) => {
          const serviceName = qualify(reference, middleware.provider);
          const service = this.runtime.services.get(serviceName);
          if (service !== undefined && !service.usedBy.includes(name)) service.usedBy.push(name);
          return this.services.get(serviceName).handler;
        },
        // Messages carry their key path, whole (`http.middlewares.…`), as an option (`retryExpression:
        // …`, which gets the middleware's path in front), or none (the middleware's path then).
        warn: (message) => {
          const path = optionPath(name, middleware.type ?? '');
          const text = message.startsWith('http.middlewares.')
            ? message
            : /^[A-Za-z][\w.[\]]*: /.test(message)
              ? `${path}.${message}`
              : `${path}: ${message}`;
          addError(middleware, text, 'warning');
        },
        logger: this.logger,
      });
    } catch (error) {
      addError(middleware, (error as Error).message);
      return new Error(`middleware "${name}" is disabled: ${(error as Error).message}`);
    } finally {
      this.building.delete(name);
    }
  }
}

function ignore(): void {}

/** The logger of a table built with none (tests, `check`). */
const SILENT: Logger = { info: ignore, warn: ignore, error: ignore, debug: ignore };
