/**
 * The KV provider (Traefik's `providers.redis`, `providers.etcd`): the dynamic configuration is
 * the store's keys under `rootKey`, in Traefik's layout (kv-decode.ts). Like every provider it
 * publishes complete snapshots: on start, and after each change the store announces (the watch
 * carries no data; we list again, and the watcher drops a snapshot equal to the last).
 *
 * A store that goes away costs nothing but freshness: the last good configuration keeps serving,
 * the failure is reported through `sink.fail` (logs and the API), and the provider reconnects
 * with exponential back-off (250 ms doubling to 30 s), then lists again, which resynchronises
 * whatever changed while it was away.
 */

import { validateDynamicConfiguration } from '../../config/dynamic-validate.js';
import { formatKeyPath } from '../../config/labels.js';
import { ProviderError, SwitchyardError } from '../../errors.js';
import { type Provider, type ProviderLogger, type ProviderSink, silentLogger } from '../provider.js';
import { decodeKvPairs } from './kv-decode.js';
import type { KvStore, KvWatch } from './kv-store.js';

/** Options of a KV provider. */
export interface KvProviderOptions {
  /** `redis` or `etcd`: the provider name in qualified names (`r@redis`). */
  name: string;
  store: KvStore;
  /** Traefik's `rootKey`, default `traefik`. */
  rootKey: string;
  logger?: ProviderLogger;
  /** First retry delay after a failure, in ms (doubles up to `maxBackoffMs`). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Publishes the configuration held in a KV store and follows its changes. */
export class KvProvider implements Provider {
  readonly name: string;
  private readonly store: KvStore;
  private readonly rootKey: string;
  private readonly prefix: string;
  private readonly logger: ProviderLogger;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private sink: ProviderSink | undefined;
  private watch: KvWatch | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private stopped = false;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  /** Whether the last attempt failed (the next success logs the recovery). */
  private failing = false;

  constructor(options: KvProviderOptions) {
    this.name = options.name;
    this.store = options.store;
    this.rootKey = options.rootKey.replace(/\/+$/, '');
    this.prefix = `${this.rootKey}/`;
    this.logger = options.logger ?? silentLogger;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.backoffMs = this.minBackoffMs;
  }

  /** Resolves once the first snapshot (or the first failure) is out; retries go on in the background. */
  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.watch?.close().catch(() => undefined);
    this.watch = undefined;
    await this.store.close().catch(() => undefined);
  }

  /** Lists the store again now (SIGHUP). */
  async reload(): Promise<void> {
    await this.sync();
  }

  /** Watches, then lists (in that order, so a change made while listing is not missed). */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.watch === undefined) {
        this.watch = await this.store.watch(this.prefix, {
          changed: () => void this.sync(),
          failed: (error) => this.onFailure(error),
        });
      }
      await this.listAndPublish();
    } catch (error) {
      this.onFailure(error as Error);
    }
  }

  /** One list at a time; a change announced meanwhile lists once more afterwards. */
  private sync(): Promise<void> {
    if (this.syncing !== undefined) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        try {
          await this.listAndPublish();
        } catch (error) {
          this.onFailure(error as Error);
          return;
        }
      } while (this.syncAgain && !this.stopped);
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async listAndPublish(): Promise<void> {
    const pairs = await this.store.list(this.prefix);
    if (this.stopped) return;
    const source = this.store.description;
    const decoded = decodeKvPairs(pairs, this.rootKey, source);
    const locate = (path: (string | number)[]) => {
      const key = formatKeyPath(path).toLowerCase();
      const exact = decoded.origins.get(key);
      if (exact !== undefined) return exact;
      for (const [at, origin] of decoded.origins)
        if (at.startsWith(`${key}.`) || at.startsWith(`${key}[`)) return origin;
      return undefined;
    };
    const { config, issues } = validateDynamicConfiguration(decoded.tree, { locate });
    if (this.failing) this.logger.info(`${source} is back: configuration resynchronised (${pairs.size} keys)`);
    this.failing = false;
    this.backoffMs = this.minBackoffMs;
    this.sink?.publish({ provider: this.name, config, issues: [...decoded.issues, ...issues] });
  }

  /** Reports the failure (the last good configuration keeps serving) and schedules a reconnect. */
  private onFailure(error: Error): void {
    if (this.stopped) return;
    const reason =
      error instanceof SwitchyardError
        ? error
        : new ProviderError(`${this.store.description}: ${error.message}`, this.store.description, error);
    this.logger[this.failing ? 'debug' : 'error'](
      `${reason.message}; keeping the last configuration, retrying in ${this.backoffMs} ms`,
    );
    this.failing = true;
    this.sink?.fail(reason);
    const watch = this.watch;
    this.watch = undefined;
    void watch?.close().catch(() => undefined);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
  }
}
