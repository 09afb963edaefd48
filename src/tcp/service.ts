/**
 * TCP services: a load balancer over `servers[].address` (weighted round robin through the
 * balancer's strategies, availability from the shared upstream state: draining, passive health)
 * and a weighted service over other TCP services. Built once per configuration; live state lives
 * in the upstream registry, keyed `tcp://host:port`, so it survives reloads and drains through
 * the one Drainer.
 */
import { anyChildAvailable, type ChildService, childServices } from '../balancer/child-service.js';
import { createStrategy } from '../balancer/strategies.js';
import type { Avoid, Candidate, Strategy } from '../balancer/strategy.js';
import type { UpstreamState } from '../balancer/upstream-state.js';

/** How connections to a load balancer's servers are made (`serversTransport`, resolved). */
export interface TcpTransport {
  /** Longest dial (ms); 0 means no limit. */
  readonly dialTimeout: number;
  /** After one side finished sending, how long the other may go on (ms); negative: no limit. */
  readonly terminationDelay: number;
  /** PROXY protocol version sent to servers, or null. */
  readonly proxyProtocol: 1 | 2 | null;
  /** TLS to servers (for every server, or those with `tls: true`), or null. */
  readonly tls: TcpClientTls | null;
}

/** TLS settings towards servers. */
export interface TcpClientTls {
  readonly serverName: string | undefined;
  readonly insecureSkipVerify: boolean;
  /** PEM root certificates; undefined uses Node's bundle. */
  readonly ca: readonly string[] | undefined;
}

/** One server of a TCP load balancer. */
export interface TcpServer extends Candidate {
  /** `tcp://host:port`, the upstream registry key. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** Whether this server is dialled with TLS. */
  readonly tls: boolean;
  readonly state: UpstreamState;
}

/** A server picked for one connection, with how to reach it. */
export interface TcpPick {
  readonly server: TcpServer;
  readonly transport: TcpTransport;
  /** The load balancer that holds the server (qualified name). */
  readonly service: string;
}

/** A built TCP service. */
export interface TcpService {
  readonly name: string;
  /** Picks a server, skipping `avoid`; undefined when none is available. */
  pick(now: number, clientAddress: string, avoid: Avoid): TcpPick | undefined;
  available(now: number): boolean;
}

/** A server candidate over its upstream state. */
export class TcpServerCandidate implements TcpServer {
  constructor(
    readonly key: string,
    readonly host: string,
    readonly port: number,
    readonly weight: number,
    readonly tls: boolean,
    readonly state: UpstreamState,
  ) {}

  available(now: number): boolean {
    return this.state.available(now);
  }

  load(): number {
    return this.state.inFlight;
  }
}

/** `loadBalancer`: round robin over servers. */
export class TcpLoadBalancer implements TcpService {
  private readonly strategy: Strategy<TcpServer>;

  constructor(
    readonly name: string,
    readonly servers: readonly TcpServer[],
    readonly transport: TcpTransport,
  ) {
    this.strategy = createStrategy('wrr', servers);
  }

  pick(now: number, clientAddress: string, avoid: Avoid): TcpPick | undefined {
    const server = this.strategy.next(now, clientAddress, avoid);
    return server === undefined ? undefined : { server, transport: this.transport, service: this.name };
  }

  available(now: number): boolean {
    return this.servers.some((s) => s.weight > 0 && s.available(now));
  }
}

/** `weighted`: services picked by weight (round robin), skipping those with nothing available. */
export class TcpWeightedService implements TcpService {
  private readonly strategy: Strategy<ChildService<TcpService>>;
  private readonly children: Array<ChildService<TcpService>>;

  constructor(
    readonly name: string,
    children: ReadonlyArray<{ service: TcpService; weight: number }>,
  ) {
    this.children = childServices(children);
    this.strategy = createStrategy('wrr', this.children);
  }

  pick(now: number, clientAddress: string, avoid: Avoid): TcpPick | undefined {
    // A child whose servers are all avoided is tried last: ask each child once at most.
    for (let tries = 0; tries < this.children.length; tries++) {
      const child = this.strategy.next(now, clientAddress, null);
      if (child === undefined) return undefined;
      const picked = child.service.pick(now, clientAddress, avoid);
      if (picked !== undefined && (avoid === null || !avoid.includes(picked.server.key))) return picked;
    }
    return undefined;
  }

  available(now: number): boolean {
    return anyChildAvailable(this.children, now);
  }
}
