/**
 * Container-inspect → Workload: everything Docker-specific the label translation needs, read
 * once per container. Network mode decides the address (`host`: the host's loopback;
 * `container:<id>`: the networks of the container it shares), and compose labels give the group
 * that merges a compose service's replicas into one service.
 */
import type { HostBinding, Workload, WorkloadAddress, WorkloadHealth } from '../labels/workload.js';
import {
  type ContainerInspect,
  composeIdentity,
  containerLabels,
  containerName,
  type InspectNetwork,
  isRunning,
} from './container-inspect.js';

/** Finds a container by id, id prefix or name, to resolve `NetworkMode: container:<id>`. */
type ContainerLookup = (idOrName: string) => ContainerInspect | undefined;

/** A lookup over one set of containers (ids, names, then id prefixes). */
function containerLookup(containers: readonly ContainerInspect[]): ContainerLookup {
  const byIdOrName = new Map<string, ContainerInspect>();
  for (const container of containers) {
    byIdOrName.set(container.Id, container);
    byIdOrName.set(containerName(container), container);
  }
  return (key) => byIdOrName.get(key) ?? containers.find((c) => c.Id.startsWith(key));
}

/** The workloads of a set of containers (all of them: the translation skips those not running). */
export function workloadsFromContainers(containers: readonly ContainerInspect[]): Workload[] {
  const lookup = containerLookup(containers);
  return containers.map((container) => workloadFromContainer(container, lookup));
}

/** One container as a workload; `lookup` resolves the container whose network it may share. */
export function workloadFromContainer(container: ContainerInspect, lookup?: ContainerLookup): Workload {
  const group = composeIdentity(container);
  return {
    id: container.Id,
    kind: 'container',
    name: containerName(container),
    labels: containerLabels(container),
    ...(group ? { group } : {}),
    running: isRunning(container),
    health: healthOf(container),
    address: addressOf(container, lookup),
  };
}

/** Docker's health status; an unknown status counts as unhealthy, so it receives no traffic. */
function healthOf(container: ContainerInspect): WorkloadHealth {
  const status = container.State?.Health?.Status;
  if (status === undefined || status === '' || status === 'none') return 'none';
  return status === 'healthy' || status === 'starting' ? status : 'unhealthy';
}

/** The container's ports of one protocol (exposed or published), lowest first. */
function exposedPorts(container: ContainerInspect, wanted: 'tcp' | 'udp'): number[] {
  const keys = new Set([
    ...Object.keys(container.Config?.ExposedPorts ?? {}),
    ...Object.keys(container.NetworkSettings?.Ports ?? {}),
  ]);
  const ports = new Set<number>();
  for (const key of keys) {
    const [number, protocol = 'tcp'] = key.split('/');
    if (protocol === wanted && /^\d+$/.test(number ?? '')) ports.add(Number(number));
  }
  return [...ports].sort((a, b) => a - b);
}

function ipOf(network: InspectNetwork | null | undefined): string | undefined {
  if (!network) return undefined;
  return network.IPAddress || network.GlobalIPv6Address || undefined;
}

function networksOf(container: ContainerInspect): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, network] of Object.entries(container.NetworkSettings?.Networks ?? {})) {
    const ip = ipOf(network);
    if (ip !== undefined) out[name] = ip;
  }
  return out;
}

function bindingsOf(container: ContainerInspect): Record<string, HostBinding> {
  const out: Record<string, HostBinding> = {};
  for (const [key, list] of Object.entries(container.NetworkSettings?.Ports ?? {})) {
    const [port, protocol = 'tcp'] = key.split('/');
    const first = list?.[0];
    if (protocol === 'tcp' && port !== undefined && first !== undefined) {
      out[port] = { hostIp: first.HostIp ?? '', hostPort: first.HostPort ?? '' };
    }
  }
  return out;
}

function addressOf(container: ContainerInspect, lookup: ContainerLookup | undefined): WorkloadAddress {
  const address: WorkloadAddress = {
    kind: 'networks',
    networks: networksOf(container),
    ports: exposedPorts(container, 'tcp'),
    bindings: bindingsOf(container),
  };
  const udpPorts = exposedPorts(container, 'udp');
  if (udpPorts.length > 0) address.udpPorts = udpPorts;
  const mode = container.HostConfig?.NetworkMode ?? '';
  if (mode === 'host') return { ...address, hostNetwork: true };
  if (mode.startsWith('container:')) {
    const target = mode.slice('container:'.length);
    const other = lookup?.(target);
    if (other === undefined) {
      const name = containerName(container);
      return {
        ...address,
        networks: {},
        unreachable: `container ${name} shares the network of container ${target}, which is not running`,
      };
    }
    // One level only, as Traefik: the shared container's own network mode is not followed further.
    if (other.HostConfig?.NetworkMode === 'host') return { ...address, hostNetwork: true };
    return { ...address, networks: networksOf(other) };
  }
  return address;
}
