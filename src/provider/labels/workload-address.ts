/**
 * Where a workload answers, as Traefik picks it. A `listen` workload answers where it listens.
 * Otherwise the network is the `docker.network` label, else the provider's `network` option,
 * else the first network (by name, so the choice is stable); a workload on the host's network
 * shares the host's loopback. The port is the `loadbalancer.server.port` label, else the lowest
 * exposed TCP port.
 */
import { describeWorkload, type Workload } from './workload.js';

/** How to pick the address of one workload. */
export interface AddressOptions {
  /** The network asked for (label first, then provider option). */
  network?: string;
  /** The port from `loadbalancer.server.port`. */
  port?: string;
  /** Use the host binding (`-p 8080:80`) instead of the workload's IP when it names a real IP. */
  useBindPortIP?: boolean;
}

/** The chosen host and port, or why there is none; `warnings` explain fallbacks. */
export type AddressResult =
  | { ok: true; host: string; port: string; warnings: string[] }
  | { ok: false; error: string; warnings: string[] };

/** Formats host:port, bracketing IPv6 addresses as URLs need. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Picks the host and port a workload's server URL uses. */
export function resolveServerAddress(workload: Workload, options: AddressOptions): AddressResult {
  const warnings: string[] = [];
  const who = describeWorkload(workload);
  const address = workload.address;
  if (address.kind === 'listen') return { ok: true, host: address.host, port: String(address.port), warnings };
  let port = options.port;
  if (port === undefined) {
    const lowest = address.ports[0];
    if (lowest === undefined) {
      return { ok: false, error: `${who} exposes no TCP port; set the label loadbalancer.server.port`, warnings };
    }
    port = String(lowest);
  }
  if (options.useBindPortIP) {
    const binding = address.bindings?.[port];
    const hostIp = binding?.hostIp ?? '';
    if (binding?.hostPort && hostIp !== '' && hostIp !== '0.0.0.0' && hostIp !== '::') {
      return { ok: true, host: hostIp, port: binding.hostPort, warnings };
    }
    warnings.push(`${who}: port ${port} is not bound to a specific host IP; using the container IP`);
  }
  const host = address.hostNetwork ? '127.0.0.1' : pickIp(who, address.networks, options.network, warnings);
  if (host === undefined) {
    if (address.unreachable !== undefined) warnings.push(address.unreachable);
    return { ok: false, error: `${who} has no IP address on any network`, warnings };
  }
  return { ok: true, host, port, warnings };
}

function pickIp(
  who: string,
  networks: Record<string, string>,
  wanted: string | undefined,
  warnings: string[],
): string | undefined {
  if (wanted !== undefined && wanted !== '') {
    const ip = networks[wanted];
    if (ip !== undefined) return ip;
    if (Object.keys(networks).length > 0) {
      warnings.push(
        `${who} is not on network ${wanted}; using its first network instead (compose prefixes network names with the project name)`,
      );
    }
  }
  const first = Object.keys(networks).sort()[0];
  return first === undefined ? undefined : networks[first];
}
