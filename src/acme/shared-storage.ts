/**
 * ACME storage shared by a fleet of instances in a key-value store (`storage: redis://…` or
 * `etcd://…`, a Switchyard extension: Traefik's open-source edition stores only a file). The
 * layout, under one key `K` (default `switchyard/acme.json`, `?key=` to change it):
 *
 * - `K`: the whole `acme.json` text, Traefik's layout (export it to a file Traefik reads; import
 *   one by writing it there). Writes are optimistic (read, merge, write unless `K` changed
 *   meanwhile, again on a conflict): two instances never lose each other's certificates; for the
 *   same names the one that expires last wins.
 * - `K.lock/<resolver>/<names>`: the lease to order one domain set, created only if absent, with
 *   this instance's id and a time to live, renewed every third of it while the order runs and
 *   removed when it ends. An instance that dies stops renewing: the lease expires and another
 *   instance takes over.
 * - `K.challenges/<instance>`: the challenges this instance's orders are answering (JSON), read
 *   by the others, so that the CA's validation is answered wherever the balancer sends it.
 *
 * Every instance reads `K`'s version and the challenge keys every `poll` (2 s; `?poll=`), reads
 * `K` when its version changed, and takes a new certificate as soon as it appears. The stores
 * (redis-storage.ts, etcd-storage.ts) only provide the few operations below.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseDuration } from '../config/duration.js';
import type { Logger } from '../core/logger.js';
import {
  certificateFacts,
  formatAcmeJson,
  parseAcmeJson,
  type ResolverData,
  type StoredAccount,
  type StoredCertificate,
} from './acme-json.js';
import type { ChallengeSnapshot } from './challenges.js';
import { domainKey, domainNames } from './domains.js';
import type { AcmeStorage, OrderLease } from './storage.js';

/** A lease held in the store. */
export interface StoreLock {
  /** False when the lease is no longer ours (expired, taken). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** What a key-value store must offer to hold a fleet's ACME storage. */
export interface SharedStoreDriver {
  /** A token that changes on every write of `key`; null when the store has none (then `key` is read every poll). */
  version(key: string): Promise<string | null>;
  /** `key` for a write that follows, and what `writeIf` must find unchanged. */
  readForWrite(key: string): Promise<{ text: string | null; token: string }>;
  /** Writes `key` unless it changed since `readForWrite`: its new version, or false on a conflict. */
  writeIf(key: string, token: string, text: string): Promise<string | null | false>;
  get(key: string): Promise<string | null>;
  /** Sets `key`, expiring after `ttlMs` when given. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** The values of every key starting with `prefix`, by key. */
  list(prefix: string): Promise<Map<string, string>>;
  /** Creates `key` = `owner` if absent, expiring after `leaseMs` unless renewed; undefined when it exists. */
  tryLock(key: string, owner: string, leaseMs: number): Promise<StoreLock | undefined>;
  close(): Promise<void>;
}

/** The parameters every shared storage URL takes. */
export interface SharedStorageSettings {
  key: string;
  leaseMs: number;
  pollMs: number;
  /** The URL without credentials (logs, status). */
  display: string;
}

const DEFAULT_KEY = 'switchyard/acme.json';
/** How long published challenges live when their instance dies without removing them. */
const CHALLENGE_TTL_MS = 10 * 60_000;
/** Storage URL schemes, and the file that reads them. */
const SCHEMES = ['redis:', 'rediss:', 'etcd:'];

/** True for a `storage` naming a shared store rather than a file; throws for a scheme it does not know. */
export function isSharedStorage(storage: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(storage)?.[1]?.toLowerCase();
  if (scheme === undefined) return false;
  if (SCHEMES.includes(scheme)) return true;
  throw new Error(
    `unsupported ACME storage ${JSON.stringify(storage.replace(/\/\/[^@/]*@/, '//'))}: a file path, or redis://, rediss:// or etcd:// for a fleet`,
  );
}

function duration(url: URL, name: string, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 100)
    throw new Error(`${name}=${text}: expected a duration of at least 100ms, such as "30s"`);
  return ms;
}

/** `key`, `lease` and `poll` of a storage URL (other parameters are refused), and the URL to show. */
export function sharedStorageSettings(url: URL, path: string): SharedStorageSettings {
  for (const name of url.searchParams.keys()) {
    if (!['key', 'lease', 'poll'].includes(name))
      throw new Error(`unknown parameter ${JSON.stringify(name)} (key, lease, poll)`);
  }
  const key = url.searchParams.get('key') ?? DEFAULT_KEY;
  if (key === '') throw new Error('key= must not be empty');
  return {
    key,
    leaseMs: duration(url, 'lease', 30_000),
    pollMs: duration(url, 'poll', 2_000),
    display: `${url.protocol}//${url.host}${path}?key=${key}`,
  };
}

function entry(data: Map<string, ResolverData>, resolver: string): ResolverData {
  let found = data.get(resolver);
  if (!found) {
    found = { certificates: [] };
    data.set(resolver, found);
  }
  return found;
}

/** Adds or replaces a certificate; for the same names the one that expires last is kept. */
function upsert(data: Map<string, ResolverData>, resolver: string, certificate: StoredCertificate): void {
  const list = entry(data, resolver).certificates;
  const key = domainKey(domainNames(certificate.domain));
  const index = list.findIndex((c) => domainKey(domainNames(c.domain)) === key);
  if (index === -1) {
    list.push(certificate);
    return;
  }
  const held = certificateFacts(list[index]!.certPem)?.notAfter ?? 0;
  if ((certificateFacts(certificate.certPem)?.notAfter ?? 0) >= held) list[index] = certificate;
}

export class SharedAcmeStorage implements AcmeStorage {
  readonly path: string;
  loadError: string | undefined;
  readonly leaseRetryMs: number;
  private readonly instance: string;
  private data = new Map<string, ResolverData>();
  private text: string | null = null;
  /** `K`'s version when it was last read (null: the store has none, or not read yet). */
  private version: string | null = null;
  private writing: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly changeListeners = new Set<() => void>();
  private readonly remoteListeners = new Set<(snapshot: ChallengeSnapshot) => void>();
  private remoteSeen = '{"http":[],"tls":[]}';
  private readonly leases = new Set<OrderLease>();
  private sharedChallenges = false;
  private lastLoggedError: string | undefined;

  constructor(
    private readonly driver: SharedStoreDriver,
    private readonly settings: SharedStorageSettings,
    private readonly logger: Logger,
    instanceId?: string,
  ) {
    this.path = settings.display;
    this.leaseRetryMs = Math.max(250, Math.min(settings.pollMs, settings.leaseMs / 2));
    this.instance = instanceId ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  }

  private get challengeKey(): string {
    return `${this.settings.key}.challenges/${this.instance}`;
  }

  private report(message: string | undefined): void {
    this.loadError = message;
    if (message !== undefined && message !== this.lastLoggedError) this.logger.error({ storage: this.path }, message);
    if (message === undefined && this.lastLoggedError !== undefined)
      this.logger.info({ storage: this.path }, 'the ACME storage is readable again');
    this.lastLoggedError = message;
  }

  async load(): Promise<void> {
    await this.read(false);
    this.schedulePoll();
  }

  async refresh(): Promise<void> {
    await this.read(true);
  }

  /** Reads `K` (unless its version says nothing changed); a change made by another instance is announced when `notify`. */
  private async read(notify: boolean): Promise<void> {
    let text: string | null;
    try {
      const version = await this.driver.version(this.settings.key);
      if (version !== null && version === this.version && this.loadError === undefined) return;
      text = await this.driver.get(this.settings.key);
      this.version = version;
    } catch (error) {
      this.report(`cannot read the ACME storage ${this.path}: ${(error as Error).message}`);
      return;
    }
    if (text === this.text || text === null) {
      if (this.loadError?.startsWith('cannot read')) this.report(undefined);
      return;
    }
    try {
      this.data = parseAcmeJson(text);
    } catch (error) {
      this.report(
        `${this.path} is not a valid acme.json (${(error as Error).message}); it is copied aside before the next write`,
      );
      return;
    }
    this.text = text;
    this.report(undefined);
    if (notify) for (const listener of this.changeListeners) listener();
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.settings.pollMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    await this.read(true);
    if (this.remoteListeners.size > 0) await this.readChallenges();
  }

  /** The other instances' published challenges, announced when they changed. */
  private async readChallenges(): Promise<void> {
    const snapshot: ChallengeSnapshot = { http: [], tls: [] };
    try {
      const published = await this.driver.list(`${this.settings.key}.challenges/`);
      for (const [key, value] of published) {
        if (key === this.challengeKey) continue;
        try {
          const theirs = JSON.parse(value) as ChallengeSnapshot;
          if (Array.isArray(theirs.http)) snapshot.http.push(...theirs.http);
          if (Array.isArray(theirs.tls)) snapshot.tls.push(...theirs.tls);
        } catch {
          // Not ours to judge (another version's entry): ignored.
        }
      }
    } catch {
      return; // Reported by read(); the next poll tries again.
    }
    const seen = JSON.stringify(snapshot);
    if (seen === this.remoteSeen) return;
    this.remoteSeen = seen;
    for (const listener of this.remoteListeners) listener(snapshot);
  }

  account(resolver: string): StoredAccount | undefined {
    return this.data.get(resolver)?.account;
  }

  certificates(resolver: string): readonly StoredCertificate[] {
    return this.data.get(resolver)?.certificates ?? [];
  }

  saveAccount(resolver: string, account: StoredAccount): Promise<void> {
    entry(this.data, resolver).account = account;
    return this.mutate((data) => {
      entry(data, resolver).account = account;
    });
  }

  saveCertificate(resolver: string, certificate: StoredCertificate): Promise<void> {
    upsert(this.data, resolver, certificate);
    return this.mutate((data) => upsert(data, resolver, certificate));
  }

  /** Queues one write after those before it. */
  private mutate(change: (data: Map<string, ResolverData>) => void): Promise<void> {
    const next = this.writing.then(() => this.transact(change));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Read, apply, write, unless another instance wrote meanwhile (then again). */
  private async transact(change: (data: Map<string, ResolverData>) => void): Promise<void> {
    const key = this.settings.key;
    for (let attempt = 0; attempt < 20; attempt++) {
      const { text, token } = await this.driver.readForWrite(key);
      let data = new Map<string, ResolverData>();
      if (text !== null) {
        try {
          data = parseAcmeJson(text);
        } catch {
          const aside = `${key}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          await this.driver.set(aside, text);
          this.logger.warn(
            { storage: this.path, copy: aside },
            `${this.path} did not parse: copied to ${aside} before writing`,
          );
        }
      }
      change(data);
      const written = formatAcmeJson(data);
      const version = await this.driver.writeIf(key, token, written);
      if (version !== false) {
        this.data = data;
        this.text = written;
        // Our own write: the next poll need not read it back.
        this.version = version;
        return;
      }
    }
    throw new Error(`${this.path}: the storage kept changing under 20 attempts to write it`);
  }

  async lease(resolver: string, key: string): Promise<OrderLease | undefined> {
    const lockKey = `${this.settings.key}.lock/${resolver}/${key}`;
    const { leaseMs } = this.settings;
    const lock = await this.driver.tryLock(lockKey, this.instance, leaseMs);
    if (lock === undefined) return undefined;
    const renew = setInterval(() => {
      lock.renew().then(
        (held) => {
          if (held) return;
          clearInterval(renew);
          this.logger.warn({ storage: this.path, lease: lockKey }, 'the ACME order lease was lost (expired or taken)');
        },
        (error: Error) =>
          this.logger.warn(
            { storage: this.path, lease: lockKey, err: error.message },
            'cannot renew the ACME order lease',
          ),
      );
    }, leaseMs / 3);
    renew.unref();
    const lease: OrderLease = {
      release: async () => {
        clearInterval(renew);
        this.leases.delete(lease);
        await lock.release().catch(() => undefined);
      },
    };
    this.leases.add(lease);
    return lease;
  }

  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  onRemoteChallenges(listener: (snapshot: ChallengeSnapshot) => void): void {
    this.remoteListeners.add(listener);
  }

  /** Publishes this instance's challenges; waits one poll period (plus a margin) so every instance has read them. */
  async shareChallenges(snapshot: ChallengeSnapshot): Promise<void> {
    const empty = snapshot.http.length === 0 && snapshot.tls.length === 0;
    try {
      if (empty) {
        if (this.sharedChallenges) await this.driver.delete(this.challengeKey);
        this.sharedChallenges = false;
        return;
      }
      await this.driver.set(this.challengeKey, JSON.stringify(snapshot), CHALLENGE_TTL_MS);
      this.sharedChallenges = true;
    } catch (error) {
      this.logger.warn(
        { storage: this.path, err: (error as Error).message },
        'cannot share the ACME challenges: only this instance answers them',
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, this.settings.pollMs + 250));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pollTimer);
    await Promise.all([...this.leases].map((lease) => lease.release()));
    await this.writing;
    if (this.sharedChallenges) await this.driver.delete(this.challengeKey).catch(() => undefined);
    await this.driver.close();
  }
}
