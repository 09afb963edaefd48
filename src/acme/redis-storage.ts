/**
 * Redis for the fleet's ACME storage (shared-storage.ts): `redis[s]://[user[:password]@]host[:port][/db]`
 * with `key`, `lease` and `poll`. `K` is a string written in `WATCH`/`MULTI`/`EXEC` transactions,
 * which also increment `K.version` (what polls read); leases are `SET NX PX`, renewed and released
 * by scripts that act only while the lease is still this instance's; published challenges expire
 * (`PX`). The connection reconnects on its own; while Redis is away, commands fail at once rather
 * than queue, and the storage reports it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import {
  type SharedStorageSettings,
  type SharedStoreDriver,
  type StoreLock,
  sharedStorageSettings,
} from './shared-storage.js';

/** Renews the lease only while it is still this instance's. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the lease only while it is still this instance's. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** What a `redis://` storage URL says. */
export interface RedisStorageSettings extends SharedStorageSettings {
  options: RedisOptions;
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
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    ...sharedStorageSettings(url, `/${db}`),
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

function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export class RedisDriver implements SharedStoreDriver {
  private readonly client: Redis;

  constructor(options: RedisOptions) {
    this.client = new Redis(options);
    // Failures surface through the commands (and the storage's loadError); ioredis would print them.
    this.client.on('error', () => undefined);
  }

  /** A connected client (connecting again after a failed first attempt). */
  private async connected(): Promise<Redis> {
    if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
    return this.client;
  }

  async version(key: string): Promise<string | null> {
    return (await this.connected()).get(`${key}.version`);
  }

  async readForWrite(key: string): Promise<{ text: string | null; token: string }> {
    const client = await this.connected();
    await client.watch(key);
    return { text: await client.get(key), token: '' };
  }

  async writeIf(key: string, _token: string, text: string): Promise<string | null | false> {
    const client = await this.connected();
    let result: [Error | null, unknown][] | null;
    try {
      result = await client.multi().set(key, text).incr(`${key}.version`).exec();
    } catch (error) {
      await client.unwatch().catch(() => undefined);
      throw error;
    }
    if (result === null) return false;
    const version = result[1]?.[1];
    return typeof version === 'number' ? String(version) : null;
  }

  async get(key: string): Promise<string | null> {
    return (await this.connected()).get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const client = await this.connected();
    if (ttlMs === undefined) await client.set(key, value);
    else await client.set(key, value, 'PX', ttlMs);
  }

  async delete(key: string): Promise<void> {
    await (await this.connected()).del(key);
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const client = await this.connected();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${globLiteral(prefix)}*`, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const out = new Map<string, string>();
    if (keys.length === 0) return out;
    const values = await client.mget(...keys);
    keys.forEach((key, i) => {
      const value = values[i];
      if (typeof value === 'string') out.set(key, value);
    });
    return out;
  }

  async tryLock(key: string, owner: string, leaseMs: number): Promise<StoreLock | undefined> {
    const client = await this.connected();
    if ((await client.set(key, owner, 'PX', leaseMs, 'NX')) !== 'OK') return undefined;
    return {
      renew: async () => (await client.eval(RENEW, 1, key, owner, String(leaseMs))) !== 0,
      release: async () => {
        await client.eval(RELEASE, 1, key, owner);
      },
    };
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
