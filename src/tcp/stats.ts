/**
 * Per-connection statistics of TCP routers and services: connections opened and open now, bytes
 * each way, and time connected. Kept by name, apart from configuration, so they survive reloads;
 * read by `/metrics` and the live view.
 */

/** Counters of one router or service. */
export interface TcpCounters {
  /** Connections taken since start. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Bytes from clients to servers, and back. */
  bytesIn: number;
  bytesOut: number;
  /** Sum of the durations of closed connections (seconds). */
  durationSeconds: number;
  /** Connections that reached no server (none available, all refused, dial timeout). */
  failures: number;
}

function fresh(): TcpCounters {
  return { connections: 0, open: 0, bytesIn: 0, bytesOut: 0, durationSeconds: 0, failures: 0 };
}

/** The statistics of every TCP router and service. */
export class TcpStats {
  readonly routers = new Map<string, TcpCounters>();
  readonly services = new Map<string, TcpCounters>();
  /** UDP sessions by router, counted the same way (datagram bytes). */
  readonly udpRouters = new Map<string, TcpCounters>();

  /** The counters of one router (created on first use). */
  router(name: string): TcpCounters {
    return counters(this.routers, name);
  }

  service(name: string): TcpCounters {
    return counters(this.services, name);
  }

  udpRouter(name: string): TcpCounters {
    return counters(this.udpRouters, name);
  }
}

function counters(map: Map<string, TcpCounters>, name: string): TcpCounters {
  let found = map.get(name);
  if (found === undefined) {
    found = fresh();
    map.set(name, found);
  }
  return found;
}
