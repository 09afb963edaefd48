/**
 * Redis as a KV store (ioredis). Keys are read with SCAN + MGET (never KEYS, which blocks the
 * server). Changes come from keyspace notifications when the server has them on
 * (`notify-keyspace-events` with K and A, or K, g and $); Switchyard never turns them on itself,
 * as changing a shared server's settings is the operator's call. Without them it lists again
 * every `pollMs` (2 s), and says so once in the log.
 *
 * Connections do not reconnect on their own (`retryStrategy` returns null) and commands fail
 * at once while disconnected: the provider owns reconnecting, so a store that goes away is
 * reported at once instead of being hidden behind a queue.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ProviderLogger } from '../provider.js';
import { type ClientTlsSettings, clientTlsOptions, hostAndPort } from './client-tls.js';
import type { KvStore, KvWatch, KvWatchHandlers } from './kv-store.js';

/** `providers.redis`, as far as the connection goes. */
export interface RedisStoreOptions {
  endpoints: string[];
  username?: string | undefined;
  password?: string | undefined;
  db: number;
  tls?: ClientTlsSettings | undefined;
  logger: ProviderLogger;
  /** Listing period when keyspace notifications are off, in ms. */
  pollMs?: number;
}

/** Escapes glob characters so a root key is matched literally by SCAN MATCH / PSUBSCRIBE. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Whether `flags` (CONFIG GET notify-keyspace-events) announce SET and DEL on keys. */
export function notifiesKeyChanges(flags: string): boolean {
  return flags.includes('K') && (flags.includes('A') || (flags.includes('g') && flags.includes('$')));
}

export class RedisStore implements KvStore {
  readonly description: string;
  private readonly options: RedisOptions;
  private readonly logger: ProviderLogger;
  private readonly pollMs: number;
  private readonly db: number;
  private client: Redis | undefined;
  private warnedPolling = false;

  constructor(options: RedisStoreOptions) {
    const { host, port } = hostAndPort(options.endpoints[0] ?? '127.0.0.1:6379', 6379);
    this.description = `redis ${host}:${port}`;
    this.db = options.db;
    this.logger = options.logger;
    this.pollMs = options.pollMs ?? 2000;
    this.options = {
      host,
      port,
      db: options.db,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.tls === undefined ? {} : { tls: clientTlsOptions(options.tls, 'providers.redis.tls') }),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: () => null,
    };
  }

  /** A connected client, made again after the previous one ended. */
  private async connected(): Promise<Redis> {
    if (this.client !== undefined && this.client.status === 'ready') return this.client;
    this.client?.disconnect();
    const client = new Redis(this.options);
    // ioredis prints unhandled 'error' events to stderr; failures surface through the commands.
    client.on('error', () => undefined);
    this.client = client;
    await client.connect();
    return client;
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const client = await this.connected();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${globLiteral(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const pairs = new Map<string, string>();
    const unique = [...new Set(keys)].sort();
    for (let i = 0; i < unique.length; i += 500) {
      const batch = unique.slice(i, i + 500);
      const values = await client.mget(batch);
      // null: deleted since SCAN saw it, or not a string value (Traefik's layout has only strings).
      batch.forEach((key, j) => {
        const value = values[j];
        if (value !== null && value !== undefined) pairs.set(key, value);
      });
    }
    return pairs;
  }

  async watch(prefix: string, handlers: KvWatchHandlers): Promise<KvWatch> {
    const client = await this.connected();
    let flags = '';
    try {
      const answer = (await client.config('GET', 'notify-keyspace-events')) as string[];
      flags = answer[1] ?? '';
    } catch {
      // CONFIG may be renamed or refused (managed Redis): treat as off, poll.
    }
    if (!notifiesKeyChanges(flags)) return this.poll(handlers);
    const subscriber = client.duplicate();
    subscriber.on('error', () => undefined);
    let closing = false;
    subscriber.on('end', () => {
      if (!closing) handlers.failed(new Error('the keyspace notification connection closed'));
    });
    await subscriber.connect();
    await subscriber.psubscribe(`__keyspace@${this.db}__:${globLiteral(prefix)}*`);
    subscriber.on('pmessage', () => handlers.changed());
    return {
      close: async () => {
        closing = true;
        subscriber.disconnect();
      },
    };
  }

  /** Lists every `pollMs` (the provider drops snapshots equal to the last). */
  private poll(handlers: KvWatchHandlers): KvWatch {
    if (!this.warnedPolling) {
      this.warnedPolling = true;
      this.logger.warn(
        `${this.description}: keyspace notifications are off (notify-keyspace-events); reading the keys every ${this.pollMs} ms instead. For immediate updates run: CONFIG SET notify-keyspace-events KA`,
      );
    }
    const timer = setInterval(() => handlers.changed(), this.pollMs);
    timer.unref();
    return { close: async () => clearInterval(timer) };
  }

  async close(): Promise<void> {
    this.client?.disconnect();
    this.client = undefined;
  }
}
