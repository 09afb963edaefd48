/**
 * One active health probe: an HTTP request to a server's health endpoint, answered healthy when
 * the status is the configured one (or any 2xx/3xx, as in Traefik) within the timeout; or, with
 * `mode: grpc`, a call of the gRPC Health Checking Protocol (grpc-health-probe.ts).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { type ClientHttp2Session, connect as h2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { HealthCheckConfig } from '../config/dynamic-schema.js';
import { type GrpcProbeTarget, probeGrpc } from './grpc-health-probe.js';

/** A resolved health check for one server: everything a probe needs, validated once. */
export interface ProbeSpec {
  /** The URL probed (server URL with the check's scheme, port and path applied). */
  readonly url: string;
  readonly method: string;
  /** Host header to send, or undefined for the URL's authority. */
  readonly hostname: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Expected status, or 0 for "any 2xx or 3xx". */
  readonly status: number;
  readonly followRedirects: boolean;
  readonly timeout: number;
  readonly interval: number;
  readonly unhealthyInterval: number;
  readonly insecureSkipVerify: boolean;
  /** With `mode: grpc`: where Health/Check is called (then `url`, `method`, `headers`… are unused). */
  readonly grpc?: GrpcProbeTarget;
}

/** Traefik's defaults. */
export const HEALTH_DEFAULTS = Object.freeze({ interval: 30_000, timeout: 5_000 });

const MAX_REDIRECTS = 10;

/** Resolves a `healthCheck` for one server URL; throws with the key (under `healthCheck`) at fault. */
export function resolveProbe(config: HealthCheckConfig, serverUrl: string, insecureSkipVerify: boolean): ProbeSpec {
  const mode = (config.mode ?? 'http').toLowerCase();
  if (mode === 'grpc') return resolveGrpcProbe(config, serverUrl, insecureSkipVerify);
  if (mode !== 'http') throw new Error(`healthCheck.mode: expected "http" or "grpc", got "${config.mode}"`);
  const url = new URL(serverUrl);
  if (config.scheme !== undefined && config.scheme !== '') {
    const scheme = config.scheme.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https')
      throw new Error(`healthCheck.scheme: expected http or https, got "${config.scheme}"`);
    // URL refuses to switch between special schemes with a port that becomes invalid; rebuild instead.
    const rebuilt = new URL(`${scheme}://${url.host}${url.pathname}`);
    url.protocol = rebuilt.protocol;
  }
  if (config.port !== undefined && config.port !== 0) {
    if (config.port < 1 || config.port > 65535) throw new Error(`healthCheck.port: out of range (${config.port})`);
    url.port = String(config.port);
  }
  const path = config.path ?? '/';
  const q = path.indexOf('?');
  // The server URL's own path is a prefix, as Traefik joins them.
  const base = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  url.pathname = base + (q === -1 ? path : path.slice(0, q));
  url.search = q === -1 ? '' : path.slice(q);
  const { interval, timeout, unhealthyInterval } = intervals(config);
  return Object.freeze({
    url: url.href,
    method: (config.method ?? 'GET').toUpperCase(),
    hostname: config.hostname !== undefined && config.hostname !== '' ? config.hostname : undefined,
    headers: Object.freeze({ ...(config.headers ?? {}) }),
    status: config.status ?? 0,
    followRedirects: config.followRedirects ?? true,
    timeout,
    interval,
    unhealthyInterval,
    insecureSkipVerify,
  });
}

function intervals(config: HealthCheckConfig): { interval: number; timeout: number; unhealthyInterval: number } {
  const interval = config.interval ?? HEALTH_DEFAULTS.interval;
  if (interval <= 0) throw new Error('healthCheck.interval: must be positive');
  const timeout = config.timeout ?? HEALTH_DEFAULTS.timeout;
  if (timeout <= 0) throw new Error('healthCheck.timeout: must be positive');
  return { interval, timeout, unhealthyInterval: config.unhealthyInterval ?? interval };
}

/**
 * `mode: grpc`: Health/Check on the server's host and port (or `port`), as Traefik dials it;
 * `path`, `method`, `status`, `hostname` and `headers` do not apply. `scheme` `http`, `h2c` or
 * none means plaintext HTTP/2 (h2c), as in Traefik; `https` (or an `https://` server without a
 * `scheme`) calls it over TLS, which Traefik's checker does not manage.
 */
function resolveGrpcProbe(config: HealthCheckConfig, serverUrl: string, insecureSkipVerify: boolean): ProbeSpec {
  const url = new URL(serverUrl);
  const given = (config.scheme ?? '').toLowerCase();
  if (given !== '' && given !== 'http' && given !== 'h2c' && given !== 'https')
    throw new Error(`healthCheck.scheme: expected http, h2c or https with mode grpc, got "${config.scheme}"`);
  const scheme = given === 'https' || (given === '' && url.protocol === 'https:') ? 'https' : 'h2c';
  let port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (config.port !== undefined && config.port !== 0) {
    if (config.port < 1 || config.port > 65535) throw new Error(`healthCheck.port: out of range (${config.port})`);
    port = config.port;
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return Object.freeze({
    url: `${scheme}://${authority}/grpc.health.v1.Health/Check`,
    method: 'POST',
    hostname: undefined,
    headers: Object.freeze({}),
    status: 0,
    followRedirects: false,
    ...intervals(config),
    insecureSkipVerify,
    grpc: Object.freeze({ scheme, host, port, insecureSkipVerify }),
  } satisfies ProbeSpec);
}

/** The outcome of one probe. */
export interface ProbeResult {
  healthy: boolean;
  /** Why it is unhealthy (status, error code), for logs and the API. */
  reason: string;
}

/** Probes once; never rejects. */
export function probe(spec: ProbeSpec): Promise<ProbeResult> {
  if (spec.grpc !== undefined) return probeGrpc(spec.grpc, spec.timeout);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let session: ClientHttp2Session | undefined;
    const timer = setTimeout(() => {
      current?.destroy();
      session?.destroy();
      finish({ healthy: false, reason: `timeout after ${spec.timeout} ms` });
    }, spec.timeout);
    let current: ReturnType<typeof httpRequest> | undefined;
    const attempt = (href: string, redirects: number) => {
      const url = new URL(href);
      const headers: Record<string, string> = { ...spec.headers };
      if (spec.hostname !== undefined) headers.host = spec.hostname;
      if (url.protocol === 'h2c:') {
        // An h2c:// server speaks HTTP/2 only: probed over HTTP/2 with prior knowledge.
        session = h2Connect(`http://${url.host}`);
        session.on('error', (error: NodeJS.ErrnoException) => {
          finish({ healthy: false, reason: error.code ?? error.message });
        });
        const { host, ...rest } = headers;
        const stream = session.request({
          ':method': spec.method,
          ':path': `${url.pathname}${url.search}`,
          ...(host !== undefined ? { ':authority': host } : {}),
          ...rest,
        });
        stream.on('response', (h) => {
          const status = Number(h[':status']);
          const healthy = spec.status !== 0 ? status === spec.status : status >= 200 && status < 400;
          finish({ healthy, reason: healthy ? '' : `status ${status}` });
          session?.close();
        });
        stream.on('error', (error: NodeJS.ErrnoException) => {
          finish({ healthy: false, reason: error.code ?? error.message });
          session?.destroy();
        });
        stream.resume();
        stream.end();
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      current = send(url, {
        method: spec.method,
        headers,
        agent: false,
        rejectUnauthorized: !spec.insecureSkipVerify,
      });
      current.on('response', (res: IncomingMessage) => {
        res.resume();
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (spec.followRedirects && status >= 300 && status < 400 && location !== undefined) {
          if (redirects >= MAX_REDIRECTS) {
            finish({ healthy: false, reason: 'too many redirects' });
            return;
          }
          attempt(new URL(location, url).href, redirects + 1);
          return;
        }
        const healthy = spec.status !== 0 ? status === spec.status : status >= 200 && status < 400;
        finish({ healthy, reason: healthy ? '' : `status ${status}` });
      });
      current.on('error', (error: NodeJS.ErrnoException) => {
        finish({ healthy: false, reason: error.code ?? error.message });
      });
      current.end();
    };
    attempt(spec.url, 0);
  });
}
