/**
 * Upstream connection pools (Traefik's `serversTransport`). One keep-alive agent pair per
 * distinct set of options, kept across reloads so warm connections are not thrown away when
 * the configuration changes.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Resolved transport options, in milliseconds. */
export interface TransportOptions {
  /** Time allowed to open a TCP connection (Traefik default 30s). */
  dialTimeout: number;
  /** Time allowed for the response headers once the request is sent (0 = none, Traefik's default). */
  responseHeaderTimeout: number;
  /** How long an idle keep-alive connection stays in the pool (Traefik default 90s). */
  idleConnTimeout: number;
  /** Idle connections kept per server (Traefik default 200). */
  maxIdleConnsPerHost: number;
  insecureSkipVerify: boolean;
}

/** Traefik's defaults for a transport. */
export const DEFAULT_TRANSPORT: Readonly<TransportOptions> = Object.freeze({
  dialTimeout: 30_000,
  responseHeaderTimeout: 0,
  idleConnTimeout: 90_000,
  maxIdleConnsPerHost: 200,
  insecureSkipVerify: false,
});

/** A pair of keep-alive agents plus the timeouts the proxy applies per request. */
export class Transport {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;

  constructor(readonly options: Readonly<TransportOptions>) {
    const agentOptions = {
      keepAlive: true,
      // LIFO reuses the most recently used socket, so idle ones age out instead of all
      // staying half-warm; fewer sockets die in the server's keep-alive race.
      scheduling: 'lifo' as const,
      maxFreeSockets: Math.max(1, options.maxIdleConnsPerHost),
      // Free sockets are destroyed after this much idleness (Node applies it to pooled sockets).
      timeout: options.idleConnTimeout > 0 ? options.idleConnTimeout : undefined,
    };
    this.http = new HttpAgent(agentOptions);
    this.https = new HttpsAgent({ ...agentOptions, rejectUnauthorized: !options.insecureSkipVerify });
  }

  /** Closes idle pooled connections now; in-use ones close when their request ends. */
  retire(): void {
    for (const agent of [this.http, this.https]) {
      // Read by the agent when a request ends: the socket is closed instead of pooled.
      (agent as unknown as { keepAlive: boolean }).keepAlive = false;
      for (const list of Object.values(agent.freeSockets)) for (const socket of list ?? []) socket.destroy();
    }
  }

  /** Closes every connection, in use or not (shutdown). */
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Transports by option set, reused across reloads. */
export class TransportPool {
  private readonly byKey = new Map<string, Transport>();

  /** The transport for these options, created on first use. */
  get(options: Readonly<TransportOptions>): Transport {
    const key = JSON.stringify(options);
    let transport = this.byKey.get(key);
    if (transport === undefined) {
      transport = new Transport(options);
      this.byKey.set(key, transport);
    }
    return transport;
  }

  /** Retires transports that no current configuration uses (requests in flight on them finish). */
  retain(used: ReadonlySet<Transport>): void {
    for (const [key, transport] of this.byKey) {
      if (!used.has(transport)) {
        transport.retire();
        this.byKey.delete(key);
      }
    }
  }

  /** The transports in use. */
  values(): IterableIterator<Transport> {
    return this.byKey.values();
  }

  /** Destroys every transport (shutdown). */
  destroyAll(): void {
    for (const transport of this.byKey.values()) transport.destroy();
    this.byKey.clear();
  }
}
