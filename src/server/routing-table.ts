/**
 * The routing table: per entry point, compiled routes sorted by priority. Built whole by the
 * builder and swapped atomically; never mutated once built, so requests in flight finish on
 * the table they started with.
 */

import type { Handler } from '../core/request-context.js';
import type { MatchInput, RuleMatcher } from '../rules/index.js';
import type { TlsPolicy } from '../tls/tls-policy.js';

/** A compiled router: its rule and the handler (middlewares then service). */
export interface Route {
  readonly name: string;
  readonly priority: number;
  readonly match: RuleMatcher;
  readonly handler: Handler;
}

/**
 * Immutable routes per entry point, apart for plaintext and TLS connections: a router with `tls`
 * matches only on TLS connections, one without only on plaintext ones (Traefik's semantics).
 */
export class RoutingTable {
  private readonly routes: ReadonlyMap<string, readonly Route[]>;
  private readonly tlsRoutes: ReadonlyMap<string, readonly Route[]>;
  private readonly tls: ReadonlyMap<string, TlsPolicy>;

  constructor(
    routes: Map<string, Route[]>,
    tlsRoutes: Map<string, Route[]> = new Map(),
    tls: Map<string, TlsPolicy> = new Map(),
  ) {
    for (const list of routes.values()) list.sort(byPriority);
    for (const list of tlsRoutes.values()) list.sort(byPriority);
    this.routes = routes;
    this.tlsRoutes = tlsRoutes;
    this.tls = tls;
  }

  /** The TLS policy of an entry point that terminates TLS, or undefined for a plaintext-only one. */
  tlsFor(entryPoint: string): TlsPolicy | undefined {
    return this.tls.get(entryPoint);
  }

  /** The first route of the entry point whose rule matches, among its TLS or plaintext routes. */
  match(entryPoint: string, input: MatchInput, secure = false): Route | undefined {
    const list = (secure ? this.tlsRoutes : this.routes).get(entryPoint);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const route = list[i] as Route;
      if (route.match(input)) return route;
    }
    return undefined;
  }

  /** The routes of one entry point in matching order (for `explain` and the API), plaintext or TLS. */
  routesOf(entryPoint: string, secure = false): readonly Route[] {
    return (secure ? this.tlsRoutes : this.routes).get(entryPoint) ?? [];
  }

  /** An empty table (before the first configuration arrives). */
  static empty(): RoutingTable {
    return new RoutingTable(new Map());
  }
}

/** Higher priority first; equal priorities by name so the order is stable across reloads. */
function byPriority(a: Route, b: Route): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
