/**
 * The part of Docker Engine's container-inspect object (`GET /containers/{id}/json`) that the
 * translation reads, plus the facts derived from it that every later step needs (name, compose
 * identity, health). Typed loosely on purpose: the daemon's JSON is external input.
 */

/** One network a container is attached to, as inspect reports it. */
export interface InspectNetwork {
  IPAddress?: string;
  GlobalIPv6Address?: string;
}

/** One host binding of a container port (`NetworkSettings.Ports['80/tcp'][0]`). */
export interface InspectPortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** A Docker Engine API container-inspect object, reduced to the fields Switchyard reads. */
export interface ContainerInspect {
  Id: string;
  /** As the daemon writes it, with a leading slash: `/proj-web-1`. */
  Name?: string;
  Config?: {
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
  } | null;
  State?: {
    Running?: boolean;
    Paused?: boolean;
    Status?: string;
    Health?: { Status?: string } | null;
  } | null;
  NetworkSettings?: {
    Networks?: Record<string, InspectNetwork | null> | null;
    Ports?: Record<string, InspectPortBinding[] | null> | null;
  } | null;
  HostConfig?: { NetworkMode?: string } | null;
}

/** The container name without the daemon's leading slash. */
export function containerName(container: ContainerInspect): string {
  const name = container.Name ?? '';
  return name.startsWith('/') ? name.slice(1) : name || container.Id.slice(0, 12);
}

/** The container's labels (never null). */
export function containerLabels(container: ContainerInspect): Record<string, string> {
  return container.Config?.Labels ?? {};
}

/** The `com.docker.compose.service` and `.project` labels, when both are present. */
export function composeIdentity(container: ContainerInspect): { service: string; project: string } | undefined {
  const labels = containerLabels(container);
  const service = labels['com.docker.compose.service'];
  const project = labels['com.docker.compose.project'];
  if (service === undefined || project === undefined || service === '' || project === '') return undefined;
  return { service, project };
}

/** Whether the container runs (a paused container runs but answers nothing, so it does not count). */
export function isRunning(container: ContainerInspect): boolean {
  const state = container.State;
  if (!state) return false;
  if (state.Paused === true || state.Status === 'paused') return false;
  return state.Running === true || state.Status === 'running';
}
