/**
 * A replica of `switchyard up` as a Workload for the label translation, so labels mean exactly
 * what they mean under Docker: the compose project and service group the replicas into one
 * service, and the address is 127.0.0.1 on the replica's assigned port (which the
 * `loadbalancer.server.port` label, naming a port inside a container, cannot move).
 */
import type { Workload } from '../labels/workload.js';

/** What one replica workload stands for. */
export interface ReplicaIdentity {
  project: string;
  service: string;
  index: number;
  port: number;
  /** The service's labels, from the compose file. */
  labels: Record<string, string>;
}

/** The workload of one ready replica (only ready replicas are handed to the translation). */
export function replicaWorkload(identity: ReplicaIdentity): Workload {
  const name = `${identity.project}-${identity.service}-${identity.index}`;
  return {
    id: `process-${name}`,
    kind: 'replica',
    name,
    // The labels Docker Compose puts on a container too, so a default rule or a constraint that
    // reads them means the same under `up` as under Docker.
    labels: {
      ...identity.labels,
      'com.docker.compose.project': identity.project,
      'com.docker.compose.service': identity.service,
      'com.docker.compose.container-number': String(identity.index),
      'com.docker.compose.oneoff': 'False',
    },
    group: { project: identity.project, service: identity.service },
    running: true,
    // The readiness probe passed: this is `up`'s health check.
    health: 'healthy',
    address: { kind: 'listen', host: '127.0.0.1', port: identity.port },
  };
}
