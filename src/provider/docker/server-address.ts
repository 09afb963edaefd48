/**
 * Where a container answers: the IP from the chosen network and the port from the labels or the
 * exposed ports, as Traefik picks them. The network is the `docker.network` label, else the
 * provider's `network` option, else the first network (by name, so the choice is stable); in
 * `host` network mode the container shares the host's loopback. The port is the
 * `loadbalancer.server.port` label, else the lowest exposed TCP port.
 */
import { type ContainerInspect, containerName, type InspectNetwork } from './container-inspect.js';

/** How to pick the address of one container. */
export interface AddressOptions {
  /** The network asked for (label first, then provider option). */
  network?: string;
  /** The port from `loadbalancer.server.port`. */
  port?: string;
  /** Use the host binding (`-p 8080:80`) instead of the container IP when it names a real IP. */
  useBindPortIP?: boolean;
  /** Other containers, to resolve `NetworkMode: container:<id>`. */
  lookup?: (idOrName: string) => ContainerInspect | undefined;
}

/** The chosen host and port, or why there is none; `warnings` explain fallbacks. */
export type AddressResult =
  | { ok: true; host: string; port: string; warnings: string[] }
  | { ok: false; error: string; warnings: string[] };

/** The container's TCP ports (exposed or published), lowest first. */
export function exposedTcpPorts(container: ContainerInspect): number[] {
  const keys = new Set([
    ...Object.keys(container.Config?.ExposedPorts ?? {}),
    ...Object.keys(container.NetworkSettings?.Ports ?? {}),
  ]);
  const ports = new Set<number>();
  for (const key of keys) {
    const [number, protocol = 'tcp'] = key.split('/');
    if (protocol === 'tcp' && /^\d+$/.test(number ?? '')) ports.add(Number(number));
  }
  return [...ports].sort((a, b) => a - b);
}

function ipOf(network: InspectNetwork | null | undefined): string | undefined {
  if (!network) return undefined;
  if (network.IPAddress) return network.IPAddress;
  return network.GlobalIPv6Address || undefined;
}

/** Formats host:port, bracketing IPv6 addresses as URLs need. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function pickIp(
  container: ContainerInspect,
  options: AddressOptions,
  warnings: string[],
  depth = 0,
): string | undefined {
  const name = containerName(container);
  const mode = container.HostConfig?.NetworkMode ?? '';
  if (mode === 'host') return '127.0.0.1';
  if (mode.startsWith('container:') && depth === 0) {
    const target = mode.slice('container:'.length);
    const other = options.lookup?.(target);
    if (other === undefined) {
      warnings.push(`container ${name} shares the network of container ${target}, which is not running`);
      return undefined;
    }
    return pickIp(other, options, warnings, depth + 1);
  }
  const networks = container.NetworkSettings?.Networks ?? {};
  if (options.network !== undefined && options.network !== '') {
    const ip = ipOf(networks[options.network]);
    if (ip !== undefined) return ip;
    warnings.push(
      `container ${name} is not on network ${options.network}; using its first network instead (compose prefixes network names with the project name)`,
    );
  }
  for (const networkName of Object.keys(networks).sort()) {
    const ip = ipOf(networks[networkName]);
    if (ip !== undefined) return ip;
  }
  return undefined;
}

/** Picks the host and port a container's server URL uses. */
export function resolveServerAddress(container: ContainerInspect, options: AddressOptions): AddressResult {
  const warnings: string[] = [];
  const name = containerName(container);
  let port = options.port;
  if (port === undefined) {
    const lowest = exposedTcpPorts(container)[0];
    if (lowest === undefined) {
      return {
        ok: false,
        error: `container ${name} exposes no TCP port; set the label loadbalancer.server.port`,
        warnings,
      };
    }
    port = String(lowest);
  }
  if (options.useBindPortIP) {
    const binding = container.NetworkSettings?.Ports?.[`${port}/tcp`]?.[0];
    const hostIp = binding?.HostIp ?? '';
    if (binding?.HostPort && hostIp !== '' && hostIp !== '0.0.0.0' && hostIp !== '::') {
      return { ok: true, host: hostIp, port: binding.HostPort, warnings };
    }
    warnings.push(`container ${name}: port ${port} is not bound to a specific host IP; using the container IP`);
  }
  const host = pickIp(container, options, warnings);
  if (host === undefined) {
    return { ok: false, error: `container ${name} has no IP address on any network`, warnings };
  }
  return { ok: true, host, port, warnings };
}
