/**
 * Turns a validated static configuration into what the process needs: entry point options,
 * the default upstream transport, and the internal routers Traefik creates for its API,
 * dashboard, ping and metrics.
 */
import { parseAddress } from '../config/address.js';
import {
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  type StaticConfiguration,
} from '../config/static-schema.js';
import type { ProviderSnapshot } from '../provider/provider.js';
import type { TransportOptions } from '../proxy/transport.js';
import { allowedEncodings } from '../rules/sanitize-path.js';
import type { EntryPointModel } from './build-table.js';
import type { EntryPointOptions } from './entry-point.js';
import { readPem } from './transport-tls.js';

/** Internal routers outrank every user router, as in Traefik (MaxInt − n). */
const TOP = Number.MAX_SAFE_INTEGER;

/** Entry point options from the static configuration. */
export function entryPointOptions(config: StaticConfiguration): EntryPointOptions[] {
  return Object.entries(config.entryPoints).map(([name, entry]) => {
    const address = parseAddress(entry.address);
    return {
      name,
      host: address.host,
      port: address.port,
      protocol: address.protocol ?? 'tcp',
      udpTimeout: entry.udp.timeout,
      proxyProtocol: entry.proxyProtocol,
      allowACMEByPass: entry.allowACMEByPass,
      trustedIPs: entry.forwardedHeaders.trustedIPs,
      insecureForwardedHeaders: entry.forwardedHeaders.insecure,
      readTimeout: entry.transport.respondingTimeouts.readTimeout,
      idleTimeout: entry.transport.respondingTimeouts.idleTimeout,
      writeTimeout: entry.transport.respondingTimeouts.writeTimeout,
      maxHeaderBytes: entry.http.maxHeaderBytes > 0 ? entry.http.maxHeaderBytes : DEFAULT_MAX_HEADER_BYTES,
      maxHeaderCount: entry.http.maxHeaderCount > 0 ? entry.http.maxHeaderCount : DEFAULT_MAX_HEADER_COUNT,
      sanitizePath: entry.http.sanitizePath,
      allowedEncodings: allowedEncodings(entry.http.encodedCharacters),
      http2: {
        // 0 is Go's "default" (250), not "no streams".
        maxConcurrentStreams: entry.http2.maxConcurrentStreams > 0 ? entry.http2.maxConcurrentStreams : 250,
        maxDecoderHeaderTableSize: entry.http2.maxDecoderHeaderTableSize,
        h2c: entry.http2.h2c,
      },
    };
  });
}

/** What each entry point gives its routers: `http.tls` and `http.middlewares` (Traefik's models). */
export function entryPointModels(config: StaticConfiguration): Map<string, EntryPointModel> {
  const models = new Map<string, EntryPointModel>();
  for (const [name, entry] of Object.entries(config.entryPoints)) {
    if (entry.http.tls === undefined && entry.http.middlewares.length === 0) continue;
    models.set(name, { tls: entry.http.tls, middlewares: entry.http.middlewares });
  }
  return models;
}

/**
 * The routers and middlewares of `entryPoints.<ep>.http.redirections.entryPoint`, as Traefik makes
 * them: a router `<ep>-to-<to>` matching every host, a `redirectScheme` middleware to the target
 * entry point's port (or the `:port` given), and `noop@internal` behind. A target that does not
 * exist is reported (`problems`) and no redirection made.
 */
export function redirections(config: StaticConfiguration): {
  routers: Record<string, Record<string, unknown>>;
  middlewares: Record<string, Record<string, unknown>>;
  problems: string[];
} {
  const routers: Record<string, Record<string, unknown>> = {};
  const middlewares: Record<string, Record<string, unknown>> = {};
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(config.entryPoints)) {
    const redirect = entry.http.redirections?.entryPoint;
    if (redirect === undefined) continue;
    const key = `entryPoints.${name}.http.redirections.entryPoint.to`;
    let port: string;
    const literal = /^:(\d+)$/.exec(redirect.to);
    if (literal !== null) port = literal[1] as string;
    else {
      const target = config.entryPoints[redirect.to];
      if (target === undefined) {
        problems.push(`${key}: 'to' entry point field references a non-existing entry point: ${redirect.to}`);
        continue;
      }
      port = String(parseAddress(target.address).port);
    }
    const router = `${name}-to-${redirect.to}`.replace(/[^a-zA-Z0-9-]/g, '-');
    const middleware = `redirect-${router}`;
    routers[router] = {
      // With allowACMEByPass, user routers answer the challenges: the redirection leaves them be.
      rule: entry.allowACMEByPass
        ? 'HostRegexp(`^.+$`) && !PathPrefix(`/.well-known/acme-challenge/`)'
        : 'HostRegexp(`^.+$`)',
      entryPoints: [name],
      middlewares: [middleware],
      service: 'noop@internal',
      priority: redirect.priority,
    };
    middlewares[middleware] = { redirectScheme: { scheme: redirect.scheme, port, permanent: redirect.permanent } };
  }
  return { routers, middlewares, problems };
}

/** The default upstream transport (static `serversTransport`). */
export function defaultTransport(config: StaticConfiguration): TransportOptions {
  const transport = config.serversTransport;
  return {
    rootCAs: transport.rootCAs.map((value, i) => readPem(value, `serversTransport.rootCAs[${i}]`)),
    serverName: '',
    certificate: null,
    disableHTTP2: false,
    dialTimeout: transport.forwardingTimeouts.dialTimeout,
    responseHeaderTimeout: transport.forwardingTimeouts.responseHeaderTimeout,
    idleConnTimeout: transport.forwardingTimeouts.idleConnTimeout,
    readTimeout: transport.forwardingTimeouts.readTimeout,
    maxIdleConnsPerHost: transport.maxIdleConnsPerHost,
    insecureSkipVerify: transport.insecureSkipVerify,
  };
}

/** The `internal` provider's snapshot: routers to api@internal, dashboard@internal, ping@internal, rest@internal, prometheus@internal. */
export function internalSnapshot(config: StaticConfiguration): ProviderSnapshot {
  const routers: Record<string, Record<string, unknown>> = {};
  if (config.api?.insecure === true && config.entryPoints.traefik !== undefined) {
    routers.api = { rule: 'PathPrefix(`/api`)', service: 'api@internal', entryPoints: ['traefik'], priority: TOP - 1 };
    if (config.api.dashboard) {
      routers.dashboard = {
        rule: 'PathPrefix(`/`)',
        service: 'dashboard@internal',
        entryPoints: ['traefik'],
        priority: TOP - 2,
      };
    }
  }
  if (config.ping !== undefined && !config.ping.manualRouting) {
    routers.ping = {
      rule: 'PathPrefix(`/ping`)',
      service: 'ping@internal',
      entryPoints: [config.ping.entryPoint],
      priority: TOP,
    };
  }
  if (config.providers.rest?.insecure === true && config.entryPoints.traefik !== undefined) {
    routers.rest = {
      rule: 'PathPrefix(`/api/providers`)',
      service: 'rest@internal',
      entryPoints: ['traefik'],
      priority: TOP,
    };
  }
  const prometheus = config.metrics.prometheus;
  if (prometheus !== undefined && !prometheus.manualRouting) {
    routers.prometheus = {
      rule: 'PathPrefix(`/metrics`)',
      service: 'prometheus@internal',
      entryPoints: [prometheus.entryPoint],
      priority: TOP,
    };
  }
  const redirect = redirections(config);
  Object.assign(routers, redirect.routers);
  const http: Record<string, unknown> = { routers };
  if (Object.keys(redirect.middlewares).length > 0) http.middlewares = redirect.middlewares;
  return {
    provider: 'internal',
    config: { http },
    issues: redirect.problems.map((message) => ({ path: ['entryPoints'], message, severity: 'error' as const })),
  };
}
