/**
 * etcd v3 as a KV store (the etcd3 client, gRPC). Keys are read with one range request over the
 * prefix; changes come from an etcd watch on the prefix, which carries every put and delete.
 * Calls are bounded by `timeoutMs` so that a store that does not answer is reported instead
 * of stalling the provider.
 */
import { Etcd3, type IOptions, type Watcher } from 'etcd3';
import { type ClientTlsSettings, clientTlsOptions, hostAndPort } from './client-tls.js';
import type { KvStore, KvWatch, KvWatchHandlers } from './kv-store.js';

/** `providers.etcd`, as far as the connection goes. */
export interface EtcdStoreOptions {
  endpoints: string[];
  username?: string | undefined;
  password?: string | undefined;
  tls?: ClientTlsSettings | undefined;
  timeoutMs?: number;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class EtcdStore implements KvStore {
  readonly description: string;
  private readonly clientOptions: IOptions;
  private readonly timeoutMs: number;
  private client: Etcd3 | undefined;

  constructor(options: EtcdStoreOptions) {
    const secure = options.tls !== undefined;
    const endpoints = (options.endpoints.length > 0 ? options.endpoints : ['127.0.0.1:2379']).map((e) => {
      const { host, port } = hostAndPort(e, 2379);
      return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    });
    this.description = `etcd ${endpoints.join(',')}`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    const tls = options.tls === undefined ? undefined : clientTlsOptions(options.tls, 'providers.etcd.tls');
    this.clientOptions = {
      hosts: endpoints,
      dialTimeout: this.timeoutMs,
      ...(options.username ? { auth: { username: options.username, password: options.password ?? '' } } : {}),
      ...(tls === undefined
        ? {}
        : {
            credentials: {
              rootCertificate: (tls.ca as Buffer | undefined) ?? Buffer.alloc(0),
              ...(tls.key === undefined ? {} : { privateKey: tls.key as Buffer }),
              ...(tls.cert === undefined ? {} : { certChain: tls.cert as Buffer }),
            },
          }),
    };
  }

  private get etcd(): Etcd3 {
    this.client ??= new Etcd3(this.clientOptions);
    return this.client;
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const found = await within(this.etcd.getAll().prefix(prefix).strings(), this.timeoutMs, this.description);
    return new Map(Object.entries(found).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async watch(prefix: string, handlers: KvWatchHandlers): Promise<KvWatch> {
    const watcher: Watcher = await within(this.etcd.watch().prefix(prefix).create(), this.timeoutMs, this.description);
    let closing = false;
    const fail = (error: Error) => {
      if (closing) return;
      closing = true;
      handlers.failed(error);
    };
    watcher.on('put', () => handlers.changed());
    watcher.on('delete', () => handlers.changed());
    watcher.on('disconnected', (error) => fail(new Error(`watch disconnected: ${error.message}`)));
    watcher.on('error', (error) => fail(error));
    return {
      close: async () => {
        closing = true;
        await watcher.cancel().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}
