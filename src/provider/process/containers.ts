/**
 * Replicas dressed as Docker containers, so the Docker provider's label translation
 * (buildDockerConfiguration) runs unchanged and labels mean exactly the same with and without
 * Docker: compose labels give the service its name and merge the replicas into one service, and
 * the address is 127.0.0.1 on the replica's assigned port.
 */
import type { ContainerInspect } from '../docker/build-configuration.js';

/** What one container stands for. */
export interface ReplicaIdentity {
  project: string;
  service: string;
  index: number;
  port: number;
  labels: Record<string, string>;
}

// `<prefix>.http.services.<name>.loadbalancer.server.port`, any key case (labels are case-insensitive).
const SERVER_PORT = /^[^.]+\.http\.services\.[^.]+\.loadbalancer\.server\.port$/i;

/**
 * The labels a replica's container carries. `loadbalancer.server.port` names the port inside a
 * container; a local replica listens on its assigned port instead, so that is what the label says.
 */
export function replicaLabels(identity: ReplicaIdentity): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(identity.labels)) {
    labels[key] = SERVER_PORT.test(key) ? String(identity.port) : value;
  }
  labels['com.docker.compose.project'] = identity.project;
  labels['com.docker.compose.service'] = identity.service;
  labels['com.docker.compose.container-number'] = String(identity.index);
  labels['com.docker.compose.oneoff'] = 'False';
  return labels;
}

/** A running container-inspect object for one ready replica. */
export function replicaContainer(identity: ReplicaIdentity): ContainerInspect {
  const name = `${identity.project}-${identity.service}-${identity.index}`;
  const portKey = `${identity.port}/tcp`;
  return {
    Id: `process-${name}`,
    Name: `/${name}`,
    Config: { Labels: replicaLabels(identity), ExposedPorts: { [portKey]: {} } },
    State: { Running: true, Status: 'running' },
    NetworkSettings: {
      Networks: { [`${identity.project}_default`]: { IPAddress: '127.0.0.1' } },
      Ports: { [portKey]: null },
    },
  };
}
