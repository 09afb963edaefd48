/**
 * Where a resolver keeps its account and certificates. Two kinds, one shape:
 *
 * - a file (`acme-store.ts`): Traefik's `acme.json`, one per host (instances sharing the file
 *   lose nothing, but each may order);
 * - a shared store (`redis-storage.ts`, a `redis://` storage): the same `acme.json` text in one
 *   key, for a fleet of instances. Only one instance orders a domain set at a time (a lease in the
 *   store, renewed while the order runs, expiring when its holder dies); the others wait, see
 *   the certificate when it is stored (`onChange`), and answer the challenges of the instance
 *   that orders (`shareChallenges` / `onRemoteChallenges`), since the CA's validation may reach
 *   any instance behind the DNS name or balancer.
 */
import type { StoredAccount, StoredCertificate } from './acme-json.js';
import type { ChallengeSnapshot } from './challenges.js';

/** The right to order one domain set, held until `release` (or lost, when the store could not renew it). */
export interface OrderLease {
  release(): Promise<void>;
}

export interface AcmeStorage {
  /** The file path, or the store's URL without credentials (logs, status). */
  readonly path: string;
  /** Why the storage could not be read, while that remains true. */
  readonly loadError: string | undefined;
  /** Reads the storage (a missing one is empty); never throws. */
  load(): Promise<void>;
  account(resolver: string): StoredAccount | undefined;
  certificates(resolver: string): readonly StoredCertificate[];
  saveAccount(resolver: string, account: StoredAccount): Promise<void>;
  saveCertificate(resolver: string, certificate: StoredCertificate): Promise<void>;
  /**
   * The lease to order `key` (a domain set's names) for `resolver`: undefined while another
   * instance holds it. A file grants it at once (instances sharing a file do not coordinate).
   * Throws when the store cannot be asked.
   */
  lease(resolver: string, key: string): Promise<OrderLease | undefined>;
  /** Reads the storage again now (after a lease is granted: the previous holder may have stored the certificate). */
  refresh(): Promise<void>;
  /** How long to wait before asking again for a lease another instance holds (ms). */
  readonly leaseRetryMs: number;
  /** Calls `listener` when another instance changed what is stored (after it is read). */
  onChange(listener: () => void): void;
  /** Shared stores: publishes this instance's challenges; resolves once the others can have read them. */
  shareChallenges?(snapshot: ChallengeSnapshot): Promise<void>;
  /** Shared stores: the other instances' challenges, each time they change. */
  onRemoteChallenges?(listener: (snapshot: ChallengeSnapshot) => void): void;
  /** Stops polling, releases leases and connections. */
  close(): Promise<void>;
}

/** The lease of storages that do not coordinate instances. */
export const FREE_LEASE: OrderLease = { release: async () => undefined };
