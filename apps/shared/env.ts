import { hostname } from 'node:os';

/** Settings every app reads from its environment. */
export interface AppEnv {
  port: number;
  host: string;
  replicaId: string;
  logLevel: string;
}

/** Reads PORT, HOST, REPLICA_ID and LOG_LEVEL; throws a readable error on a bad PORT. */
export function readAppEnv(env: NodeJS.ProcessEnv, defaultPort: number): AppEnv {
  const rawPort = env.PORT?.trim();
  let port = defaultPort;
  if (rawPort) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port > 65535) throw new Error(`PORT must be an integer 0-65535, got "${rawPort}"`);
  }
  return {
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    replicaId: env.REPLICA_ID?.trim() || defaultReplicaId(),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
  };
}

/** Host name plus pid: unique per process, and in a container the host name is the container id. */
export function defaultReplicaId(): string {
  return `${hostname()}-${process.pid}`;
}
