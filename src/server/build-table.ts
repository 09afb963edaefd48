/**
 * Builds a routing table from a runtime configuration. Every router is compiled on its own: a
 * bad rule, a missing service or a broken middleware disables that router (its error goes on
 * the runtime object, for the API and `check`) while the rest keeps routing. What is not
 * implemented yet (TCP, UDP, TLS) is reported first (unimplemented.ts) and never routed.
 */

import { qualify } from '../core/names.js';
import type { Handler } from '../core/request-context.js';
import { buildMiddleware } from '../middlewares/index.js';
import type { MiddlewareWrapper } from '../middlewares/types.js';
import { compileRuleMatcher } from '../rules/index.js';
import { BuildOnce } from './build-once.js';
import { type ServiceBuildDeps, ServiceBuilder } from './build-services.js';
import { type Route, RoutingTable } from './routing-table.js';
import { addError, type RuntimeConfiguration, type RuntimeRouter } from './runtime.js';
import { reportUnimplemented } from './unimplemented.js';

/** What building a table needs besides the runtime configuration. */
export interface TableBuildDeps extends ServiceBuildDeps {
  /** Names of the entry points that exist. */
  entryPoints: readonly string[];
  /** Entry points a router without `entryPoints` attaches to. */
  defaultEntryPoints: readonly string[];
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
  const middlewares = new MiddlewareBuilder(runtime);
  const routes = new Map<string, Route[]>();
  for (const name of deps.entryPoints) routes.set(name, []);

  for (const router of runtime.routers.values()) {
    const route = buildRoute(router, runtime, services, middlewares, deps);
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

function buildRoute(
  router: RuntimeRouter,
  runtime: RuntimeConfiguration,
  services: ServiceBuilder,
  middlewares: MiddlewareBuilder,
  deps: TableBuildDeps,
): Route | undefined {
  const config = router.config;
  if (config === undefined || router.status === 'disabled') return undefined;

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

  if (config.service === undefined) {
    addError(router, 'the router has no service');
    return undefined;
  }
  const serviceName = qualify(config.service, router.provider);
  let handler: Handler;
  try {
    handler = services.get(serviceName).handler;
  } catch (error) {
    addError(router, (error as Error).message);
    return undefined;
  } finally {
    const service = runtime.services.get(serviceName);
    if (service !== undefined && !service.usedBy.includes(router.name)) service.usedBy.push(router.name);
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
  return { name: router.name, priority: router.priority, match, handler };
}

/** Builds middlewares once each by qualified name, with cycle detection for chains. */
class MiddlewareBuilder {
  private readonly built = new BuildOnce<MiddlewareWrapper>((name) => this.build(name));
  private readonly building = new Set<string>();

  constructor(private readonly runtime: RuntimeConfiguration) {}

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
        warn: (message) => addError(middleware, `http.middlewares.${name}.${middleware.type}.${message}`, 'warning'),
      });
    } catch (error) {
      addError(middleware, (error as Error).message);
      return new Error(`middleware "${name}" is disabled: ${(error as Error).message}`);
    } finally {
      this.building.delete(name);
    }
  }
}
