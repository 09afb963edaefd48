/**
 * What the KV provider needs from a store (Redis, etcd; Consul or ZooKeeper would be one more
 * implementation each): read every key under a prefix, and be told when something under it
 * changes. Connection handling (reconnects, TLS, credentials) is the store's business; the
 * provider owns retries, back-off and publishing.
 */

/** A watch in progress; `close` ends it. */
export interface KvWatch {
  close(): Promise<void>;
}

/** Callbacks of a watch. */
export interface KvWatchHandlers {
  /** Something under the prefix changed (the provider lists again; events carry no data). */
  changed(): void;
  /** The watch broke (connection lost); the provider reconnects and lists again. */
  failed(error: Error): void;
}

/** A key-value store holding Traefik's key layout. */
export interface KvStore {
  /** `redis 127.0.0.1:6379`, for logs and issue locations. */
  readonly description: string;
  /** Every key under `prefix` (which ends with `/`) and its value; throws when the store cannot be read. */
  list(prefix: string): Promise<Map<string, string>>;
  /** Starts watching `prefix`; resolves once the watch is in place. */
  watch(prefix: string, handlers: KvWatchHandlers): Promise<KvWatch>;
  /** Closes every connection. */
  close(): Promise<void>;
}
