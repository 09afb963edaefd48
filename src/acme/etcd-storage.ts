/**
 * etcd v3 for the fleet's ACME storage (shared-storage.ts): `etcd://[user[:password]@]host[:port]`
 * with `key`, `lease` and `poll` (plain connections; TLS to etcd is not offered for the ACME
 * storage yet). `K` is written in transactions that compare its modification revision (or its
 * absence), which is also the version polls compare; a lease is a key created only if absent
 * (`Create == 0`) and attached to an etcd lease of `lease` seconds, kept alive while the order runs
 * and revoked when it ends: a dead holder's key goes with its etcd lease.
 */
import { Etcd3, type Lease } from 'etcd3';
import {
  type SharedStorageSettings,
  type SharedStoreDriver,
  type StoreLock,
  sharedStorageSettings,
} from './shared-storage.js';

/** What an `etcd://` storage URL says. */
export interface EtcdStorageSettings extends SharedStorageSettings {
  hosts: string;
  auth?: { username: string; password: string } | undefined;
}

/** Parses `etcd://[user[:password]@]host[:port][?key=…&lease=30s&poll=2s]`; throws with the reason. */
export function etcdStorageSettings(storage: string): EtcdStorageSettings {
  let url: URL;
  try {
    url = new URL(storage);
  } catch {
    throw new Error('not a valid etcd:// URL');
  }
  if (url.pathname !== '' && url.pathname !== '/') throw new Error('an etcd:// storage takes no path (use ?key=)');
  const host = url.hostname || '127.0.0.1';
  const port = url.port === '' ? 2379 : Number(url.port);
  return {
    ...sharedStorageSettings(url, ''),
    hosts: `http://${host}:${port}`,
    ...(url.username
      ? { auth: { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } }
      : {}),
  };
}

/** etcd's leases count whole seconds. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class EtcdDriver implements SharedStoreDriver {
  private readonly client: Etcd3;

  constructor(settings: EtcdStorageSettings) {
    this.client = new Etcd3({
      hosts: settings.hosts,
      dialTimeout: 5000,
      ...(settings.auth ? { auth: settings.auth } : {}),
    });
  }

  async version(key: string): Promise<string | null> {
    const found = (await this.client.get(key).exec()).kvs[0];
    return found === undefined ? null : String(found.mod_revision);
  }

  async readForWrite(key: string): Promise<{ text: string | null; token: string }> {
    const found = (await this.client.get(key).exec()).kvs[0];
    return found === undefined
      ? { text: null, token: '0' }
      : { text: found.value.toString('utf8'), token: String(found.mod_revision) };
  }

  async writeIf(key: string, token: string, text: string): Promise<string | null | false> {
    const compare = token === '0' ? this.client.if(key, 'Create', '==', 0) : this.client.if(key, 'Mod', '==', token);
    const result = await compare.then(this.client.put(key).value(text)).commit();
    return result.succeeded ? String(result.header.revision) : false;
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key).string();
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) {
      await this.client.put(key).value(value);
      return;
    }
    // Its own etcd lease, not kept alive: the key goes when it ends.
    const lease = this.client.lease(seconds(ttlMs), { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    await lease.put(key).value(value);
  }

  async delete(key: string): Promise<void> {
    await this.client.delete().key(key);
  }

  async list(prefix: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.client.getAll().prefix(prefix).strings()));
  }

  async tryLock(key: string, owner: string, leaseMs: number): Promise<StoreLock | undefined> {
    const lease: Lease = this.client.lease(seconds(leaseMs), { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    const id = await lease.grant();
    const created = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(owner).lease(id))
      .commit();
    if (!created.succeeded) {
      await lease.revoke().catch(() => undefined);
      return undefined;
    }
    return {
      renew: async () => {
        const answer = await lease.keepaliveOnce();
        return Number(answer.TTL) > 0;
      },
      // Revoking the etcd lease deletes the key with it.
      release: () => lease.revoke(),
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
