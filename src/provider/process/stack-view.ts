/**
 * The JSON shape of the stack (`GET /api/stack`, the banner): services with their replicas,
 * each with id, pid, port, url, state, restarts and uptime.
 */
import type { ProcessServiceSpec } from './compose-file.js';
import type { Replica, ReplicaExit, ReplicaState } from './replica.js';

/** One replica as the API shows it. Times are seconds. */
export interface ReplicaView {
  id: string;
  service: string;
  index: number;
  state: ReplicaState;
  pid: number | null;
  port: number | null;
  url: string | null;
  restarts: number;
  /** Seconds since the current process started (null when none runs). */
  uptime: number | null;
  startedAt: string | null;
  lastExit: ReplicaExit | null;
  /** Seconds until the next restart attempt of a crashed replica. */
  nextRestartIn: number | null;
}

/** One service as the API shows it. */
export interface ServiceView {
  name: string;
  command: string;
  cwd: string;
  readiness: string;
  /** Replicas wanted (what `scale` sets). */
  scale: number;
  /** Replicas ready and in rotation. */
  running: number;
  routes: { router: string; rule: string }[];
  replicas: ReplicaView[];
}

/** The whole stack. */
export interface StackView {
  project: string;
  composeFile: string;
  provider: string;
  services: ServiceView[];
  skipped: { name: string; reason: string }[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** A replica's view now. */
export function replicaView(replica: Replica, now = Date.now()): ReplicaView {
  const alive = replica.pid !== undefined;
  return {
    id: replica.id,
    service: replica.spec.name,
    index: replica.index,
    state: replica.state,
    pid: replica.pid ?? null,
    port: alive || replica.state === 'starting' ? (replica.port ?? null) : null,
    url: alive ? (replica.url ?? null) : null,
    restarts: replica.restarts,
    uptime: alive && replica.startedAt !== undefined ? seconds(now - replica.startedAt) : null,
    startedAt: alive && replica.startedAt !== undefined ? new Date(replica.startedAt).toISOString() : null,
    lastExit: replica.lastExit ?? null,
    nextRestartIn: replica.nextRestartAt === undefined ? null : seconds(Math.max(0, replica.nextRestartAt - now)),
  };
}

/** A service's view now. */
export function serviceView(
  spec: ProcessServiceSpec,
  replicas: readonly Replica[],
  routes: { router: string; rule: string }[],
): ServiceView {
  const now = Date.now();
  return {
    name: spec.name,
    command: spec.argv.join(' '),
    cwd: spec.cwd,
    readiness: spec.readiness,
    scale: replicas.filter((r) => !r.removing && r.isWanted).length,
    running: replicas.filter((r) => r.state === 'running').length,
    routes,
    replicas: replicas.map((r) => replicaView(r, now)),
  };
}
