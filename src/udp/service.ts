/**
 * UDP services: a load balancer over `servers[].address` (round robin, availability from the
 * shared upstream state keyed `udp://host:port`) and a weighted service over other UDP
 * services. A UDP service is asked for a server once per session, not per datagram.
 */
import { anyChildAvailable, type ChildService, childServices } from '../balancer/child-service.js';
import { createStrategy } from '../balancer/strategies.js';
import type { Candidate, Strategy } from '../balancer/strategy.js';
import type { UpstreamState } from '../balancer/upstream-state.js';

/** One server of a UDP load balancer. */
export class UdpServer implements Candidate {
  constructor(
    /** `udp://host:port`. */
    readonly key: string,
    readonly host: string,
    readonly port: number,
    readonly weight: number,
    readonly state: UpstreamState,
  ) {}

  available(now: number): boolean {
    return this.state.available(now);
  }

  load(): number {
    return this.state.inFlight;
  }
}

/** A built UDP service. */
export interface UdpService {
  readonly name: string;
  /** A server for a new session, or undefined when none is available. */
  pick(now: number, client: string): UdpServer | undefined;
  available(now: number): boolean;
}

/** `loadBalancer`. */
export class UdpLoadBalancer implements UdpService {
  private readonly strategy: Strategy<UdpServer>;

  constructor(
    readonly name: string,
    readonly servers: readonly UdpServer[],
  ) {
    this.strategy = createStrategy('wrr', servers);
  }

  pick(now: number, client: string): UdpServer | undefined {
    return this.strategy.next(now, client, null);
  }

  available(now: number): boolean {
    return this.servers.some((s) => s.weight > 0 && s.available(now));
  }
}

/** `weighted`: services by weight. */
export class UdpWeightedService implements UdpService {
  private readonly strategy: Strategy<ChildService<UdpService>>;
  private readonly children: Array<ChildService<UdpService>>;

  constructor(
    readonly name: string,
    children: ReadonlyArray<{ service: UdpService; weight: number }>,
  ) {
    this.children = childServices(children);
    this.strategy = createStrategy('wrr', this.children);
  }

  pick(now: number, client: string): UdpServer | undefined {
    return this.strategy.next(now, client, null)?.service.pick(now, client);
  }

  available(now: number): boolean {
    return anyChildAvailable(this.children, now);
  }
}
