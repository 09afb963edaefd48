/**
 * Upstream connection pools (Traefik's `serversTransport`). One set of keep-alive pools per
 * distinct set of options, kept across reloads so warm connections are not thrown away when
 * the configuration changes.
 */
import { Http2Origins } from './http2-sessions.js';
import { type PoolOptions, UpstreamPool } from './upstream-pool.js';
import type { ClientCertificate } from './upstream-tls.js';

/** Resolved transport options, in milliseconds. */
export interface TransportOptions {
  /** Time allowed to open a TCP connection (Traefik default 30s). */
  dialTimeout: number;
  /** Time allowed for the response headers once the request is sent (0 = none, Traefik's default). */
  responseHeaderTimeout: number;
  /** How long an idle keep-alive connection stays in the pool (Traefik default 90s). */
  idleConnTimeout: number;
  /** Longest silence of the server while an answer is awaited or read (Switchyard's; 0 = none). */
  readTimeout: number;
  /** Idle connections kept per server (Traefik default 200). */
  maxIdleConnsPerHost: number;
  insecureSkipVerify: boolean;
  /** CA certificates (PEM) that sign servers' certificates instead of the system's (`rootCAs`). */
  rootCAs: readonly string[];
  /** Name checked in the server's certificate and sent as SNI ('' = the URL's host). */
  serverName: string;
  /** Client certificate for mTLS to servers (`certificates`, the first one), or null. */
  certificate: ClientCertificate | null;
  /** Never offer HTTP/2 to `https://` servers (`disableHTTP2`). */
  disableHTTP2: boolean;
}

/** Traefik's defaults for a transport. */
export const DEFAULT_TRANSPORT: Readonly<TransportOptions> = Object.freeze({
  dialTimeout: 30_000,
  responseHeaderTimeout: 0,
  idleConnTimeout: 90_000,
  readTimeout: 60_000,
  maxIdleConnsPerHost: 200,
  insecureSkipVerify: false,
  rootCAs: [],
  serverName: '',
  certificate: null,
  disableHTTP2: false,
});

/** Keep-alive connection pools, one per upstream endpoint, plus the per-request timeouts. */
export class Transport {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly poolOptions: PoolOptions;
  private retired = false;
  /** HTTP/2 sessions to servers (h2c://, and https:// servers whose ALPN chose h2). */
  readonly http2: Http2Origins;

  constructor(readonly options: Readonly<TransportOptions>) {
    const tls = {
      insecureSkipVerify: options.insecureSkipVerify,
      rootCAs: options.rootCAs,
      serverName: options.serverName,
      certificate: options.certificate,
    };
    this.poolOptions = {
      dialTimeout: options.dialTimeout,
      idleTimeout: options.idleConnTimeout,
      readTimeout: options.readTimeout,
      maxIdle: Math.max(1, options.maxIdleConnsPerHost),
      rejectUnauthorized: !options.insecureSkipVerify,
      tls,
    };
    this.http2 = new Http2Origins({ dialTimeout: options.dialTimeout, idleTimeout: options.idleConnTimeout, tls });
  }

  /** The pool for a server, created on first use. */
  pool(https: boolean, hostname: string, port: number): UpstreamPool {
    const key = `${https ? 'https' : 'http'}://${hostname}:${port}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(https, hostname, port, this.poolOptions);
      pool.retired = this.retired;
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes idle pooled connections now; in-use ones close when their request ends. */
  retire(): void {
    this.retired = true;
    for (const pool of this.pools.values()) {
      pool.retired = true;
      pool.close(false);
    }
    this.http2.close(false);
  }

  /** Closes pooled connections to `hostname:port` (idle ones, in-use ones too when `all`). */
  closeSocketsTo(hostname: string, port: number, all: boolean): number {
    let closed = 0;
    for (const pool of this.pools.values()) {
      if (pool.hostname === hostname && pool.port === port) closed += pool.close(all);
    }
    return closed + this.http2.closeTo(hostname, port, all);
  }

  /** Fails dials to `hostname:port` pending for `minAgeMs` or more (UpstreamPool.abortDials). */
  abortDialsTo(hostname: string, port: number, now: number, minAgeMs: number): number {
    let aborted = 0;
    for (const pool of this.pools.values()) {
      if (pool.hostname === hostname && pool.port === port) aborted += pool.abortDials(now, minAgeMs);
    }
    return aborted;
  }

  /** Closes every connection, in use or not (shutdown). */
  destroy(): void {
    this.retired = true;
    for (const pool of this.pools.values()) {
      pool.retired = true;
      pool.close(true);
    }
    this.pools.clear();
    this.http2.close(true);
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
