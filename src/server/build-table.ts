/**
 * Builds a routing table from a runtime configuration. Every router is compiled on its own: a
 * bad rule, a missing service or a broken middleware disables that router (its error goes on
 * the runtime object, for the API and `check`) while the rest keeps routing. What is not
 * implemented yet (TCP, UDP, TLS) is reported first (unimplemented.ts) and never routed.
 */

import type { Logger } from '../core/logger.js';
import { qualify } from '../core/names.js';
import type { Handler } from '../core/request-context.js';
import { buildMiddleware } from '../middlewares/index.js';
import { optionPath } from '../middlewares/options.js';
import type { MiddlewareWrapper } from '../middlewares/types.js';
import { compileRuleMatcher } from '../rules/index.js';
import { BuildOnce } from './build-once.js';
import { type ServiceBuildDeps, ServiceBuilder } from './build-services.js';
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
}

/** The built table, and what it uses (so the caller can prune pools and states after the swap). */
export interface BuiltTable {
  table: RoutingTable;
  services: ServiceBuilder;
}

/** Builds the routing table, recording errors and statuses on `runtime` as it goes. */
export function buildRoutingTable(runtime: RuntimeConfiguration, deps: TableBuildDeps): BuiltTable {
  // First, so a router with `tls` is disabled before it could be routed as plain HTTP.
  reportUnimplemented(runtime);
  const services = new ServiceBuilder(runtime, deps);
  const middlewares = new MiddlewareBuilder(runtime, services, deps.logger ?? SILENT);
  const routes = new Map<string, Route[]>();
  for (const name of deps.entryPoints) routes.set(name, []);

  const tree: RouteTree = { children: linkRouterTree(runtime), built: new Map() };
  for (const router of runtime.routers.values()) {
    // A router with parents is reached through them (multi-layer routing), never an entry point.
    if (parentsOf(router).length > 0) continue;
    const route = buildRoute(router, runtime, services, middlewares, deps, tree, null);
    if (route === undefined) continue;
    for (const entryPoint of router.using) routes.get(entryPoint)?.push(route);
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
  return { table: new RoutingTable(routes), services };
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
): Route | undefined {
  const config = router.config;
  if (parent !== null) {
    // A child listens where its parents do (for the API); it is built once.
    for (const entryPoint of parent.using) if (!router.using.includes(entryPoint)) router.using.push(entryPoint);
    if (tree.built.has(router.name)) return tree.built.get(router.name);
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
  try {
    match = compileRuleMatcher(config.rule).match;
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
      const route = child && buildRoute(child, runtime, services, middlewares, deps, tree, router);
      if (route !== undefined) childRoutes.push(route);
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
  return route;
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
        // Messages name their key; those that do not get the middleware's own path in front.
        warn: (message) => {
          const path = optionPath(name, middleware.type ?? '');
          addError(middleware, message.startsWith(path) ? message : `${path}: ${message}`, 'warning');
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
