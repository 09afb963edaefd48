/**
 * The routing table: per entry point, compiled routes sorted by priority. Built whole by the
 * builder and swapped atomically; never mutated once built, so requests in flight finish on
 * the table they started with.
 */

import type { Handler } from '../core/request-context.js';
import type { MatchInput, RuleMatcher } from '../rules/index.js';

/** A compiled router: its rule and the handler (middlewares then service). */
export interface Route {
  readonly name: string;
  readonly priority: number;
  readonly match: RuleMatcher;
  readonly handler: Handler;
}

/** Immutable routes per entry point. */
export class RoutingTable {
  private readonly routes: ReadonlyMap<string, readonly Route[]>;

  constructor(routes: Map<string, Route[]>) {
    for (const list of routes.values()) list.sort(byPriority);
    this.routes = routes;
  }

  /** The first route of the entry point whose rule matches, or undefined. */
  match(entryPoint: string, input: MatchInput): Route | undefined {
    const list = this.routes.get(entryPoint);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const route = list[i] as Route;
      if (route.match(input)) return route;
    }
    return undefined;
  }

  /** The routes of one entry point in matching order (for `explain` and the API). */
  routesOf(entryPoint: string): readonly Route[] {
    return this.routes.get(entryPoint) ?? [];
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
