/**
 * ACME storage shared by a fleet of instances, in Redis (`storage: redis://…`, a Switchyard
 * extension: Traefik's open-source edition stores only a file). Layout, under one key `K`
 * (default `switchyard/acme.json`, `?key=` to change it):
 *
 * - `K`: the whole `acme.json` text, Traefik's layout (`redis-cli GET K > acme.json` gives a file
 *   Traefik reads; `redis-cli -x SET K < acme.json` imports one). Writes are optimistic
 *   transactions (WATCH, read, merge, MULTI/SET/EXEC, again on a conflict): two instances never
 *   lose each other's certificates; for the same names the one that expires last wins.
 * - `K.lock/<resolver>/<names>`: the lease to order one domain set, `SET NX PX lease` with this
 *   instance's id, renewed every third of the lease while the order runs, deleted (if still ours)
 *   when it ends. An instance that dies stops renewing: the lease expires and another takes over.
 * - `K.challenges/<instance>`: the challenges this instance's orders are answering (JSON), read
 *   by the others so that the CA's validation, wherever the balancer sends it, is answered.
 *
 * - `K.version`: incremented by every write, so that a poll reads a number, and `K` only when it
 *   changed (or when the number is missing: a `K` imported by hand is read every poll until the
 *   next write).
 *
 * Every instance reads `K.version` and the challenge keys every `poll` (2 s; `?poll=`), and takes
 * a new certificate as soon as it appears. The connection reconnects on its own; while Redis
 * is away the instance serves what it holds, and an order waits (its lease cannot be asked).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
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

/** Renews the lease only while it is still this instance's. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the lease only while it is still this instance's. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** How long published challenges live when their instance dies without removing them. */
const CHALLENGE_TTL_MS = 10 * 60_000;
const DEFAULT_KEY = 'switchyard/acme.json';

/** True for a `storage` naming a shared store rather than a file. */
export function isSharedStorage(storage: string): boolean {
  if (/^rediss?:\/\//i.test(storage)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(storage)) {
    throw new Error(
      `unsupported ACME storage ${JSON.stringify(storage.replace(/\/\/[^@/]*@/, '//'))}: a file path, or redis:// / rediss:// for a fleet (etcd is not supported for ACME storage yet)`,
    );
  }
  return false;
}

/** What a `redis://` storage URL says. */
export interface RedisStorageSettings {
  options: RedisOptions;
  key: string;
  leaseMs: number;
  pollMs: number;
  /** The URL without credentials. */
  display: string;
}

function duration(url: URL, name: string, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 100)
    throw new Error(`${name}=${text}: expected a duration of at least 100ms, such as "30s"`);
  return ms;
}

/** Parses `redis[s]://[user[:password]@]host[:port][/db][?key=…&lease=30s&poll=2s]`; throws with the reason. */
export function redisStorageSettings(storage: string): RedisStorageSettings {
  let url: URL;
  try {
    url = new URL(storage);
  } catch {
    throw new Error('not a valid redis:// URL');
  }
  const db = url.pathname === '' || url.pathname === '/' ? 0 : Number(url.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`the database ${JSON.stringify(url.pathname.slice(1))} is not a number`);
  for (const name of url.searchParams.keys()) {
    if (!['key', 'lease', 'poll'].includes(name))
      throw new Error(`unknown parameter ${JSON.stringify(name)} (key, lease, poll)`);
  }
  const key = url.searchParams.get('key') ?? DEFAULT_KEY;
  if (key === '') throw new Error('key= must not be empty');
  const leaseMs = duration(url, 'lease', 30_000);
  const pollMs = duration(url, 'poll', 2_000);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port === '' ? 6379 : Number(url.port);
  const display = `${url.protocol}//${url.host || host}/${db}?key=${key}`;
  return {
    key,
    leaseMs,
    pollMs,
    display,
    options: {
      host,
      port,
      db,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
      lazyConnect: true,
      // Fail at once while disconnected (the caller retries later) rather than queue behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(times * 200, 5000),
    },
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

export class RedisAcmeStorage implements AcmeStorage {
  readonly path: string;
  loadError: string | undefined;
  readonly leaseRetryMs: number;
  private readonly settings: RedisStorageSettings;
  private readonly instance: string;
  private readonly client: Redis;
  private data = new Map<string, ResolverData>();
  private text: string | null = null;
  /** `K.version` when `K` was last read (null: no version key). */
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

  /** Throws (the caller names the key) for a URL it cannot use. */
  constructor(
    storage: string,
    private readonly logger: Logger,
    instanceId?: string,
  ) {
    this.settings = redisStorageSettings(storage);
    this.path = this.settings.display;
    this.leaseRetryMs = Math.max(250, Math.min(this.settings.pollMs, this.settings.leaseMs / 2));
    this.instance = instanceId ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    this.client = new Redis(this.settings.options);
    // Failures surface through the commands (and loadError); ioredis would print them otherwise.
    this.client.on('error', () => undefined);
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

  /** A connected client (connecting again after a failed first attempt). */
  private async connected(): Promise<Redis> {
    if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
    return this.client;
  }

  async load(): Promise<void> {
    await this.read(false);
    this.schedulePoll();
  }

  async refresh(): Promise<void> {
    await this.read(true);
  }

  /** Reads `K` (unless `K.version` says nothing changed); a change made by another instance is announced when `notify`. */
  private async read(notify: boolean): Promise<void> {
    let text: string | null;
    try {
      const client = await this.connected();
      const version = await client.get(`${this.settings.key}.version`);
      if (version !== null && version === this.version && this.loadError === undefined) return;
      text = await client.get(this.settings.key);
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
    const client = this.client;
    const pattern = `${this.settings.key.replace(/[*?[\]\\]/g, '\\$&')}.challenges/*`;
    const snapshot: ChallengeSnapshot = { http: [], tls: [] };
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
        cursor = next;
        keys.push(...found.filter((k) => k !== this.challengeKey));
      } while (cursor !== '0');
      const values = keys.length === 0 ? [] : await client.mget(...keys);
      for (const value of values) {
        if (value === null) continue;
        try {
          const theirs = JSON.parse(value) as ChallengeSnapshot;
          if (Array.isArray(theirs.http)) snapshot.http.push(...theirs.http);
          if (Array.isArray(theirs.tls)) snapshot.tls.push(...theirs.tls);
        } catch {
          // Not ours to judge: another version's entry; ignored.
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

  /** Queues one transaction after those before it. */
  private mutate(change: (data: Map<string, ResolverData>) => void): Promise<void> {
    const next = this.writing.then(() => this.transact(change));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Read, apply, write, unless another instance wrote meanwhile (then again). */
  private async transact(change: (data: Map<string, ResolverData>) => void): Promise<void> {
    const client = await this.connected();
    const key = this.settings.key;
    for (let attempt = 0; attempt < 20; attempt++) {
      await client.watch(key);
      const text = await client.get(key);
      let data = new Map<string, ResolverData>();
      if (text !== null) {
        try {
          data = parseAcmeJson(text);
        } catch {
          const aside = `${key}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          await client.set(aside, text);
          this.logger.warn(
            { storage: this.path, copy: aside },
            `${this.path} did not parse: copied to ${aside} before writing`,
          );
        }
      }
      change(data);
      const written = formatAcmeJson(data);
      const result = await client.multi().set(key, written).incr(`${key}.version`).exec();
      if (result !== null) {
        this.data = data;
        this.text = written;
        // Our own write: the next poll need not read it back.
        const version = result[1]?.[1];
        if (typeof version === 'number') this.version = String(version);
        return;
      }
    }
    await client.unwatch().catch(() => undefined);
    throw new Error(`${this.path}: the storage kept changing under 20 attempts to write it`);
  }

  async lease(resolver: string, key: string): Promise<OrderLease | undefined> {
    const client = await this.connected();
    const lockKey = `${this.settings.key}.lock/${resolver}/${key}`;
    const { leaseMs } = this.settings;
    const granted = await client.set(lockKey, this.instance, 'PX', leaseMs, 'NX');
    if (granted !== 'OK') return undefined;
    const renew = setInterval(() => {
      client.eval(RENEW, 1, lockKey, this.instance, String(leaseMs)).then(
        (renewed) => {
          if (renewed === 0) {
            clearInterval(renew);
            this.logger.warn(
              { storage: this.path, lease: lockKey },
              'the ACME order lease was lost (expired or taken)',
            );
          }
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
        await client.eval(RELEASE, 1, lockKey, this.instance).catch(() => undefined);
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
      const client = await this.connected();
      if (empty) {
        if (this.sharedChallenges) await client.del(this.challengeKey);
        this.sharedChallenges = false;
        return;
      }
      await client.set(this.challengeKey, JSON.stringify(snapshot), 'PX', CHALLENGE_TTL_MS);
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
    if (this.sharedChallenges) await this.client.del(this.challengeKey).catch(() => undefined);
    this.client.disconnect();
  }
}
