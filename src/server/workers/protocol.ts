/**
 * What the primary (control plane) and its worker processes (data plane) tell each other over
 * the cluster IPC channel, and which entry points each side serves. Every message is plain data:
 * provider snapshots go down (each worker merges and builds its own routing table), health goes
 * down as the set of server URLs that active checks found DOWN, statistics come up once a second.
 */
import { availableParallelism } from 'node:os';
import type { ChallengeSnapshot } from '../../acme/index.js';
import { parseAddress } from '../../config/address.js';
import type { StaticConfiguration } from '../../config/static-schema.js';
import type { StatsSnapshot } from '../../metrics/stats-snapshot.js';
import type { ProviderSnapshot } from '../../provider/provider.js';
import type { PemPair } from '../../tls/certificate.js';
import type { AcmePem } from '../acme-wiring.js';
import { internalSnapshot } from '../settings.js';

/** Primary → worker, answering `hello`: everything a worker needs to start. */
export interface InitMessage {
  type: 'init';
  /** Slot number, 1..N; a restarted worker takes the slot of the one it replaces. */
  id: number;
  config: StaticConfiguration;
  /** Entry points this worker listens on (shared with the other workers). */
  entryPoints: string[];
  /** Entry points the primary serves (routers may name them). */
  remoteEntryPoints: string[];
  snapshots: ProviderSnapshot[];
  /** Server URLs that active health checks consider DOWN. */
  down: string[];
  /** Time in-flight requests get on shutdown (ms). */
  graceMs: number;
  /**
   * The generated default certificate, made once by the primary, so every worker serves the same
   * one to names no certificate has (absent: the worker makes its own).
   */
  defaultCertificate?: PemPair;
  /** What the primary's ACME resolvers hold and the challenges in progress (with `certificatesResolvers`). */
  acme?: { certificates: [string, AcmePem[]][]; challenges: ChallengeSnapshot };
}

/** Primary → worker: an ACME resolver's certificates changed (the worker serves them; it orders nothing). */
export interface AcmeCertificatesMessage {
  type: 'acme-certificates';
  resolver: string;
  entries: AcmePem[];
}

/** Primary → worker: the ACME challenges in progress; answered by `acme-ack` with the same `seq`. */
export interface AcmeChallengesMessage {
  type: 'acme-challenges';
  seq: number;
  challenges: ChallengeSnapshot;
}

/** Primary → worker: the configuration changed (and the health set as of that change). */
export interface ConfigMessage {
  type: 'config';
  snapshots: ProviderSnapshot[];
  down: string[];
}

/** Primary → worker: the set of DOWN servers changed. */
export interface HealthMessage {
  type: 'health';
  down: string[];
}

/** Primary → worker: stop accepting, finish in-flight requests, report, exit 0. */
export interface StopMessage {
  type: 'stop';
  graceMs: number;
}

/** Messages a worker receives. */
export type ToWorker =
  | InitMessage
  | ConfigMessage
  | HealthMessage
  | StopMessage
  | AcmeCertificatesMessage
  | AcmeChallengesMessage;

/** Worker → primary: its message listener is in place. */
export interface HelloMessage {
  type: 'hello';
}

/** Worker → primary: listening, with the ports actually bound. */
export interface ReadyMessage {
  type: 'ready';
  ports: Record<string, number>;
}

/** Worker → primary: it cannot start (a port is taken, …) and exits 1. */
export interface FailedMessage {
  type: 'failed';
  message: string;
  code?: string;
  location?: string;
}

/** Worker → primary, once a second and on shutdown: cumulative counters and live gauges. */
export interface StatsMessage {
  type: 'stats';
  /** Cumulative since the worker started; `recent` holds the requests since the previous message. */
  stats: StatsSnapshot;
  inFlight: Record<string, number>;
  connections: Record<string, number>;
}

/** Worker → primary: it answers the challenges of `acme-challenges` number `seq` (the CA may validate). */
export interface AcmeAckMessage {
  type: 'acme-ack';
  seq: number;
}

/** Messages the primary receives. */
export type FromWorker = HelloMessage | ReadyMessage | FailedMessage | StatsMessage | AcmeAckMessage;

/** Which entry points stay in the primary and which the workers serve. */
export interface EntryPointPlacement {
  primary: string[];
  workers: string[];
}

/**
 * The primary keeps `traefik` and every entry point an internal router (API, dashboard, ping,
 * metrics) uses, because those handlers read control-plane state, and the UDP entry points; the
 * workers take the rest.
 */
export function placeEntryPoints(config: StaticConfiguration): EntryPointPlacement {
  const primary = new Set<string>();
  if (config.entryPoints.traefik !== undefined) primary.add('traefik');
  for (const router of Object.values(internalSnapshot(config).config.http?.routers ?? {})) {
    for (const name of router.entryPoints ?? []) if (config.entryPoints[name] !== undefined) primary.add(name);
  }
  // UDP sessions are per client address: one process holds them all.
  for (const [name, entry] of Object.entries(config.entryPoints)) {
    if (parseAddress(entry.address).protocol === 'udp') primary.add(name);
  }
  const names = Object.keys(config.entryPoints);
  return { primary: names.filter((n) => primary.has(n)), workers: names.filter((n) => !primary.has(n)) };
}

/** `workers` as a count: `auto` is the number of cores the process may use. */
export function resolveWorkerCount(workers: number | 'auto'): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

/** True when `value` looks like a message with a string `type` (IPC also carries Node's own). */
export function isMessage(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
