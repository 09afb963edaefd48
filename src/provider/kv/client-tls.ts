/**
 * Traefik's client TLS options of a provider (`tls.ca`, `tls.cert`, `tls.key`,
 * `tls.insecureSkipVerify`), read into Node's TLS options. Files are read when the provider
 * starts; one that cannot be read is a ProviderError naming the key and the file.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ProviderError } from '../../errors.js';

/** The `tls` block of a KV provider. */
export interface ClientTlsSettings {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  insecureSkipVerify: boolean;
}

function read(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ProviderError(`${key}: cannot read ${file}: ${(error as Error).message}`, key, error);
  }
}

/** Node's TLS options for `settings` (`where` is the key prefix for messages, e.g. `providers.redis.tls`). */
export function clientTlsOptions(settings: ClientTlsSettings, where: string): ConnectionOptions {
  if ((settings.cert === undefined) !== (settings.key === undefined)) {
    throw new ProviderError(`${where}: cert and key go together; set both or neither`, where);
  }
  return {
    ...(settings.ca === undefined ? {} : { ca: read(settings.ca, `${where}.ca`) }),
    ...(settings.cert === undefined ? {} : { cert: read(settings.cert, `${where}.cert`) }),
    ...(settings.key === undefined ? {} : { key: read(settings.key, `${where}.key`) }),
    rejectUnauthorized: !settings.insecureSkipVerify,
  };
}

/** `host:port` → its parts (the port defaults to `defaultPort`); accepts `redis://`-style URLs too. */
export function hostAndPort(endpoint: string, defaultPort: number): { host: string; port: number } {
  const bare = endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(bare);
  const host = match?.[1] || '127.0.0.1';
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  return { host, port };
}
