/**
 * The TCP routing table: per entry point, the compiled TCP routers by priority. Built whole at
 * each configuration change beside the HTTP table and swapped into the entry points, so a
 * connection is routed on the table it arrived with.
 */
import type { TlsPolicy } from '../tls/tls-policy.js';
import type { TcpHandler } from './connection.js';
import type { CompiledTcpRule, TcpMatchInput } from './rule.js';

/** What a router does with TLS: nothing (plaintext only), pass it through, or terminate it. */
export type TcpTlsMode = 'none' | 'passthrough' | 'terminate';

/** A compiled TCP router. */
export interface TcpRoute {
  readonly name: string;
  readonly priority: number;
  readonly rule: CompiledTcpRule;
  readonly tls: TcpTlsMode;
  /**
   * A terminating router's handshakes: the certificate store and its `tls.options` (for every
   * server name); null for the other kinds.
   */
  readonly tlsPolicy: TlsPolicy | null;
  readonly handler: TcpHandler;
}

/** The routes of one entry point, split by what a connection starts with. */
export interface TcpEntryRoutes {
  /** Routers without `tls`: plaintext connections. */
  readonly plaintext: readonly TcpRoute[];
  /** Routers with `tls` (passthrough or terminating): connections that start with a ClientHello. */
  readonly tls: readonly TcpRoute[];
}

const NONE: TcpEntryRoutes = Object.freeze({ plaintext: [], tls: [] });

/** Immutable TCP routes per entry point. */
export class TcpRoutingTable {
  private readonly routes: ReadonlyMap<string, TcpEntryRoutes>;

  constructor(routes: Map<string, TcpRoute[]>) {
    const out = new Map<string, TcpEntryRoutes>();
    for (const [entryPoint, list] of routes) {
      if (list.length === 0) continue;
      list.sort(byPriority);
      out.set(entryPoint, {
        plaintext: list.filter((r) => r.tls === 'none'),
        tls: list.filter((r) => r.tls !== 'none'),
      });
    }
    this.routes = out;
  }

  /** Whether the entry point has TCP routers (if not, it never peeks). */
  has(entryPoint: string): boolean {
    return this.routes.has(entryPoint);
  }

  /** The entry point's routes. */
  of(entryPoint: string): TcpEntryRoutes {
    return this.routes.get(entryPoint) ?? NONE;
  }

  /** The first route of the matching kind (TLS or plaintext) whose rule matches, or undefined. */
  match(entryPoint: string, input: TcpMatchInput): TcpRoute | undefined {
    const routes = this.routes.get(entryPoint);
    if (routes === undefined) return undefined;
    const list = input.tls ? routes.tls : routes.plaintext;
    for (let i = 0; i < list.length; i++) {
      const route = list[i] as TcpRoute;
      if (route.rule.match(input)) return route;
    }
    return undefined;
  }

  /** Entry points with TCP routes. */
  entryPoints(): IterableIterator<string> {
    return this.routes.keys();
  }

  static empty(): TcpRoutingTable {
    return new TcpRoutingTable(new Map());
  }
}

function byPriority(a: TcpRoute, b: TcpRoute): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
