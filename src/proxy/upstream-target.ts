/**
 * One server of a load balancer, parsed once when the routing table is built so the request
 * path never parses a URL.
 */
import type { UpstreamState } from '../balancer/upstream-state.js';
import { ConfigError } from '../errors.js';
import type { Transport } from './transport.js';
import type { UpstreamPool } from './upstream-pool.js';

/** A parsed upstream server with its live state. */
export class UpstreamTarget {
  /** `h2c:` is HTTP/2 with prior knowledge over plaintext (Traefik's `h2c://` server URLs). */
  readonly protocol: 'http:' | 'https:' | 'h2c:';
  readonly hostname: string;
  readonly port: number;
  /** `host:port` as sent in the Host header when passHostHeader is false. */
  readonly authority: string;
  /** Path prefix from the server URL, used only with `preservePath` ('' otherwise). */
  readonly basePath: string;

  constructor(
    readonly url: string,
    readonly weight: number,
    readonly state: UpstreamState,
    preservePath: boolean,
    location: string,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`invalid server URL ${JSON.stringify(url)}`, location);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'h2c:') {
      throw new ConfigError(
        `unsupported scheme in server URL ${JSON.stringify(url)} (use http, https or h2c)`,
        location,
      );
    }
    this.protocol = parsed.protocol;
    this.hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    this.port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    this.authority = parsed.host;
    const path = parsed.pathname.endsWith('/') ? parsed.pathname.slice(0, -1) : parsed.pathname;
    this.basePath = preservePath ? path : '';
  }

  private poolTransport: Transport | null = null;
  private cachedPool: UpstreamPool | null = null;

  /** The keep-alive pool of `transport` for this server (looked up once, then cached). */
  pool(transport: Transport): UpstreamPool {
    if (this.poolTransport !== transport || this.cachedPool === null) {
      this.cachedPool = transport.pool(this.protocol === 'https:', this.hostname, this.port);
      this.poolTransport = transport;
    }
    return this.cachedPool;
  }

  /** Stable identity for strategies and sticky cookies: the server URL. */
  get key(): string {
    return this.url;
  }

  /** Whether the balancer may pick this server now. */
  available(now: number): boolean {
    return this.state.available(now);
  }

  /** Requests in flight to this server (from every load balancer that lists it). */
  load(): number {
    return this.state.inFlight;
  }

  /** Average time to the first byte of this server's answers (ms; 0 until measured). */
  responseTime(): number {
    return this.state.responseTimes?.average() ?? 0;
  }
}
