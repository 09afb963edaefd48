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
import type { EntryPointOptions } from './entry-point.js';

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
      trustedIPs: entry.forwardedHeaders.trustedIPs,
      insecureForwardedHeaders: entry.forwardedHeaders.insecure,
      readTimeout: entry.transport.respondingTimeouts.readTimeout,
      idleTimeout: entry.transport.respondingTimeouts.idleTimeout,
      writeTimeout: entry.transport.respondingTimeouts.writeTimeout,
      maxHeaderBytes: entry.http.maxHeaderBytes > 0 ? entry.http.maxHeaderBytes : DEFAULT_MAX_HEADER_BYTES,
      maxHeaderCount: entry.http.maxHeaderCount > 0 ? entry.http.maxHeaderCount : DEFAULT_MAX_HEADER_COUNT,
      sanitizePath: entry.http.sanitizePath,
      allowedEncodings: allowedEncodings(entry.http.encodedCharacters),
    };
  });
}

/** The default upstream transport (static `serversTransport`). */
export function defaultTransport(config: StaticConfiguration): TransportOptions {
  const transport = config.serversTransport;
  return {
    dialTimeout: transport.forwardingTimeouts.dialTimeout,
    responseHeaderTimeout: transport.forwardingTimeouts.responseHeaderTimeout,
    idleConnTimeout: transport.forwardingTimeouts.idleConnTimeout,
    readTimeout: transport.forwardingTimeouts.readTimeout,
    maxIdleConnsPerHost: transport.maxIdleConnsPerHost,
    insecureSkipVerify: transport.insecureSkipVerify,
  };
}

/** The `internal` provider's snapshot: routers to api@internal, dashboard@internal, ping@internal, prometheus@internal. */
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
  const prometheus = config.metrics.prometheus;
  if (prometheus !== undefined && !prometheus.manualRouting) {
    routers.prometheus = {
      rule: 'PathPrefix(`/metrics`)',
      service: 'prometheus@internal',
      entryPoints: [prometheus.entryPoint],
      priority: TOP,
    };
  }
  return { provider: 'internal', config: { http: { routers } }, issues: [] };
}
