/**
 * Multi-layer routing (Traefik 3.6's `parentRefs`): a router naming parents is not attached to
 * entry points; it is matched after a parent's middlewares ran, against the request as they
 * left it, among that parent's children by priority (no match: 404). Root routers (no
 * `parentRefs`) keep entry points and TLS; a parent has no service; a leaf has one.
 *
 * `linkRouterTree` checks the tree as Traefik's ParseRouterTree does (missing parent, a
 * non-root with entryPoints or tls, unreachable, dead end, service and children both, cycles)
 * and records each fault on its router; `childMux` is the handler a parent ends with.
 */
import { qualify } from '../core/names.js';
import type { Handler, RequestContext } from '../core/request-context.js';
import { plainAddress } from '../proxy/request-headers.js';
import { sendError } from '../proxy/responses.js';
import { type MatchInput, routingPath } from '../rules/index.js';
import type { Route } from './routing-table.js';
import { addError, type RuntimeConfiguration, type RuntimeRouter } from './runtime.js';

/** The parents' qualified names of a router (empty for a root). */
export function parentsOf(router: RuntimeRouter): string[] {
  return (router.config?.parentRefs ?? []).map((p) => qualify(p, router.provider));
}

/** Children by parent (qualified names), after the checks; faults are recorded on the routers. */
export function linkRouterTree(runtime: RuntimeConfiguration): Map<string, string[]> {
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  let anyChild = false;
  for (const router of runtime.routers.values()) {
    if (router.config === undefined) continue;
    const parents = parentsOf(router);
    if (parents.length === 0) {
      roots.push(router.name);
      continue;
    }
    anyChild = true;
    for (const parent of parents) {
      if (!runtime.routers.has(parent)) {
        addError(router, `parent router "${parent}" does not exist`);
        continue;
      }
      const list = children.get(parent) ?? [];
      if (!list.includes(router.name)) list.push(router.name);
      children.set(parent, list);
    }
    if (router.config.tls !== undefined) addError(router, 'non-root router cannot have TLS configuration');
    else if (router.config.entryPoints !== undefined && router.config.entryPoints.length > 0) {
      addError(router, 'non-root router cannot have Entrypoints configuration');
    }
  }
  if (!anyChild) return children;

  // From the roots, depth first; a link back into the current path is a cycle and is cut.
  const visited = new Set<string>();
  const path = new Set<string>();
  const visit = (name: string): void => {
    visited.add(name);
    path.add(name);
    const list = children.get(name) ?? [];
    for (const child of [...list]) {
      if (path.has(child)) {
        addError(runtime.routers.get(name)!, `cyclic reference to child router "${child}" removed`, 'warning');
        list.splice(list.indexOf(child), 1);
        continue;
      }
      if (!visited.has(child)) visit(child);
    }
    path.delete(name);
  };
  for (const root of roots.sort()) visit(root);

  for (const router of runtime.routers.values()) {
    if (router.config === undefined) continue;
    const hasChildren = (children.get(router.name) ?? []).length > 0;
    if (!visited.has(router.name)) addError(router, 'router is not reachable');
    else if (router.config.service === undefined && !hasChildren) {
      addError(router, 'router has no service and no child routers');
    } else if (router.config.service !== undefined && hasChildren) {
      addError(router, 'router has both a service and is referenced as a parent by other routers');
    }
  }
  return children;
}

/** The handler ending a parent router: matches its children on the request as it is now. */
export function childMux(routes: Route[]): Handler {
  const ordered = [...routes].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  return (ctx: RequestContext) => {
    const req = ctx.req;
    const input: MatchInput = {
      method: req.method ?? 'GET',
      host: ctx.host,
      path: routingPath(ctx.path),
      query: ctx.query,
      headers: req.headers,
      remoteAddress: plainAddress(req.socket.remoteAddress),
    };
    for (const route of ordered) {
      if (!route.match(input)) continue;
      ctx.router = route.name;
      route.handler(ctx);
      return;
    }
    sendError(ctx.res, 404);
  };
}
