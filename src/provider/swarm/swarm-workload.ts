/**
 * Swarm services and tasks → Workloads for the neutral label translation, as Traefik's Swarm
 * provider reads them: labels are the service's (`deploy.labels`), each running task is a server
 * at its IP on the chosen network, or, with `traefik.swarm.lbswarm=true`, the service is one
 * server at its virtual IP and Swarm balances. A task counts only while Swarm both runs it and
 * still wants it running (`DesiredState: running`): on scale-down Swarm marks the leaving tasks
 * `shutdown` before it stops their containers, which is the only warning it gives.
 */
import type { Workload } from '../labels/workload.js';
import type { SwarmNetwork, SwarmService, SwarmTask } from './swarm-api.js';

/** The value of `<prefix>.swarm.<key>` for the first label prefix that has it, case-insensitively. */
function swarmLabel(labels: Record<string, string>, key: string): string | undefined {
  for (const prefix of ['switchyard', 'traefik']) {
    const wanted = `${prefix}.swarm.${key}`;
    for (const [name, value] of Object.entries(labels)) if (name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `10.0.1.3/24` → `10.0.1.3`. */
function withoutPrefixLength(cidr: string | undefined): string | undefined {
  const ip = cidr?.split('/')[0];
  return ip === undefined || ip === '' ? undefined : ip;
}

/** Network id → name. */
export function networkNames(networks: readonly SwarmNetwork[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const network of networks) {
    const id = network.Id ?? network.ID;
    if (id !== undefined && network.Name !== undefined) names.set(id, network.Name);
  }
  return names;
}

/** Whether Swarm runs the task and still wants it to run. */
export function isLiveTask(task: SwarmTask): boolean {
  return task.Status?.State === 'running' && task.DesiredState === 'running';
}

/** The workloads of the given services and their tasks (tasks of other services are ignored). */
export function workloadsFromSwarm(
  services: readonly SwarmService[],
  tasks: readonly SwarmTask[],
  networks: ReadonlyMap<string, string>,
): Workload[] {
  const byService = new Map<string, SwarmTask[]>();
  for (const task of tasks) {
    if (task.ServiceID === undefined) continue;
    const list = byService.get(task.ServiceID) ?? [];
    list.push(task);
    byService.set(task.ServiceID, list);
  }
  const workloads: Workload[] = [];
  for (const service of services) {
    const name = service.Spec?.Name ?? service.ID;
    const labels = { ...(service.Spec?.Labels ?? {}) };
    // The default service name is Traefik's: the Swarm service name normalised (`seed_api` → `seed-api`).
    const group = { project: '', service: name };
    const live = (byService.get(service.ID) ?? []).filter(isLiveTask);
    if (swarmLabel(labels, 'lbswarm')?.trim().toLowerCase() === 'true') {
      const vips: Record<string, string> = {};
      for (const vip of service.Endpoint?.VirtualIPs ?? []) {
        const network = vip.NetworkID === undefined ? undefined : networks.get(vip.NetworkID);
        const ip = withoutPrefixLength(vip.Addr);
        if (network !== undefined && ip !== undefined) vips[network] = ip;
      }
      workloads.push({
        id: service.ID,
        kind: 'swarm service',
        name,
        labels,
        group,
        // Swarm's balancer has somewhere to send traffic only while a task runs.
        running: live.length > 0,
        health: 'none',
        address: {
          kind: 'networks',
          networks: vips,
          ports: [],
          ...(Object.keys(vips).length === 0
            ? { unreachable: `swarm service ${name} has no virtual IP (endpoint mode dnsrr?); lbswarm needs one` }
            : {}),
        },
      });
      continue;
    }
    for (const task of live) {
      const addresses: Record<string, string> = {};
      for (const attachment of task.NetworksAttachments ?? []) {
        const network = attachment.Network?.Spec?.Name ?? networks.get(attachment.Network?.ID ?? '');
        const ip = withoutPrefixLength(attachment.Addresses?.[0]);
        if (network !== undefined && ip !== undefined) addresses[network] = ip;
      }
      const slot = task.Slot ?? task.NodeID ?? task.ID;
      workloads.push({
        id: task.ID,
        kind: 'swarm task',
        name: `${name}.${slot}`,
        labels,
        group,
        running: true,
        // A task with a health check is `running` only once healthy: Swarm holds it in `starting` before.
        health: 'none',
        address: { kind: 'networks', networks: addresses, ports: [] },
      });
    }
  }
  return workloads;
}
