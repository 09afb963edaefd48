/**
 * A workload is whatever labels are attached to: a Docker container, a replica of `switchyard up`,
 * later a Swarm service or task. Each provider extracts Workloads from its own world; the label
 * translation (build-configuration.ts) only ever sees this shape, so labels mean the same
 * everywhere and the translation is tested without Docker.
 */
import { normalizeName } from './normalize.js';

/** How far a workload's health check allows traffic (`none`: it has no health check). */
export type WorkloadHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** A port bound on the host for one workload port (Docker's `-p ip:hostPort:port`). */
export interface HostBinding {
  hostIp: string;
  hostPort: string;
}

/**
 * Where a workload answers. `listen`: one known host:port (a local process); the
 * `loadbalancer.server.port` label cannot move it. `networks`: the IPs it has on named networks
 * plus the TCP ports it exposes, from which the labels and options pick one (a container).
 */
export type WorkloadAddress =
  | { kind: 'listen'; host: string; port: number }
  | {
      kind: 'networks';
      /** Network name → IP (v4, else v6). */
      networks: Record<string, string>;
      /** Exposed TCP ports, lowest first. */
      ports: number[];
      /** Exposed UDP ports, lowest first (a UDP service's default port may be one, as in Traefik). */
      udpPorts?: number[];
      /** Host bindings by workload port (`'80'`), for `useBindPortIP`. */
      bindings?: Record<string, HostBinding>;
      /** It shares the host's network stack: reachable on 127.0.0.1 whatever network is asked. */
      hostNetwork?: boolean;
      /** Why `networks` is empty although the workload runs (said when an address is needed). */
      unreachable?: string;
    };

/** One workload, as the label translation reads it. */
export interface Workload {
  /** Unique among one build's workloads (a container id); `draining` refers to it. */
  id: string;
  /** What it is called in messages: `container`, `replica`… */
  kind: string;
  /** Its own name (`.ContainerName` in the default rule; the default service name without a group). */
  name: string;
  labels: Record<string, string>;
  /**
   * Compose (or stack) identity: workloads of one group share a default service, so replicas
   * merge. A Swarm service has no project part (`project: ''`): its name already is unique.
   */
  group?: { project: string; service: string };
  /** Only running workloads are considered at all. */
  running: boolean;
  health: WorkloadHealth;
  address: WorkloadAddress;
}

/** `container web-1`: how messages name a workload. */
export function describeWorkload(workload: Pick<Workload, 'kind' | 'name'>): string {
  return `${workload.kind} ${workload.name}`;
}

/** Whether its health check lets it receive traffic (no check, or `healthy`; never while `starting`). */
export function isServing(workload: Workload): boolean {
  return workload.health === 'none' || workload.health === 'healthy';
}

/** The service a workload gets when its labels define none (a group: `<service>-<project>`, or `<service>` without a project). */
export function defaultServiceName(workload: Pick<Workload, 'name' | 'group'>): string {
  const group = workload.group;
  if (group === undefined) return normalizeName(workload.name);
  return normalizeName(group.project === '' ? group.service : `${group.service}_${group.project}`);
}
