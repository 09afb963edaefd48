/**
 * The parts of Docker's Swarm API objects (`GET /services`, `/tasks`, `/networks`) the Swarm
 * provider reads. Everything is optional: a daemon's answer is input like any other.
 */

/** A swarm service (`docker service inspect`). */
export interface SwarmService {
  ID: string;
  Spec?: {
    Name?: string;
    /** Service labels: `deploy.labels` of a stack file, where Traefik reads its labels. */
    Labels?: Record<string, string> | null;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    EndpointSpec?: { Mode?: 'vip' | 'dnsrr' };
  };
  Endpoint?: { VirtualIPs?: Array<{ NetworkID?: string; Addr?: string }> | null };
}

/** A task (one replica) of a service. */
export interface SwarmTask {
  ID: string;
  ServiceID?: string;
  /** Replica number of a replicated service (absent for global services). */
  Slot?: number;
  NodeID?: string;
  /** What the orchestrator wants: `running`, or `shutdown` once it decided to stop the task. */
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: Array<{
    Network?: { ID?: string; Spec?: { Name?: string } };
    Addresses?: string[] | null;
  }> | null;
}

/** A network, for names by id. */
export interface SwarmNetwork {
  Id?: string;
  ID?: string;
  Name?: string;
}
