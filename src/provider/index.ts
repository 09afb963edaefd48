/** Builds the configured providers from the static configuration. */
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import { FileProvider } from './file/file-provider.js';
import type { Provider, ProviderLogger } from './provider.js';
import { RestProvider } from './rest/rest-provider.js';

export { RestProvider } from './rest/rest-provider.js';

/** A logger taking plain messages, tagged with the provider's name. */
export function messageLogger(logger: Logger, provider: string): ProviderLogger {
  return {
    info: (message: string) => logger.info({ provider }, message),
    warn: (message: string) => logger.warn({ provider }, message),
    error: (message: string) => logger.error({ provider }, message),
    debug: (message: string) => logger.debug({ provider }, message),
  };
}

/**
 * The providers the static configuration enables, in a stable order. The Docker client is
 * loaded only when the Docker provider is enabled: it is a heavy module tree, and a proxy
 * fed by files should start fast.
 */
export async function createProviders(
  config: StaticConfiguration,
  logger: Logger,
  options: { staticFile?: string } = {},
): Promise<Provider[]> {
  const providers: Provider[] = [];
  const file = config.providers.file;
  if (file !== undefined) {
    providers.push(
      new FileProvider({
        filename: file.filename,
        directory: file.directory,
        watch: file.watch,
        debugLogGeneratedTemplate: file.debugLogGeneratedTemplate,
        staticFile: options.staticFile,
        logger: messageLogger(logger, 'file'),
      }),
    );
  }
  if (config.providers.rest !== undefined) providers.push(new RestProvider());
  const docker = config.providers.docker;
  if (docker !== undefined) {
    const { DockerProvider } = await import('./docker/docker-provider.js');
    providers.push(new DockerProvider({ ...docker, logger: messageLogger(logger, 'docker') }));
  }
  const swarm = config.providers.swarm;
  if (swarm !== undefined) {
    const { SwarmProvider } = await import('./swarm/swarm-provider.js');
    const { refreshSeconds, ...options } = swarm;
    providers.push(
      new SwarmProvider({ ...options, refreshMs: refreshSeconds, logger: messageLogger(logger, 'swarm') }),
    );
  }
  // KV clients load only when used (ioredis; etcd3 brings gRPC).
  const redis = config.providers.redis;
  if (redis !== undefined) {
    const [{ KvProvider }, { RedisStore }] = await Promise.all([
      import('./kv/kv-provider.js'),
      import('./kv/redis-store.js'),
    ]);
    const log = messageLogger(logger, 'redis');
    providers.push(
      new KvProvider({
        name: 'redis',
        rootKey: redis.rootKey,
        logger: log,
        store: new RedisStore({ ...redis, logger: log }),
      }),
    );
  }
  const etcd = config.providers.etcd;
  if (etcd !== undefined) {
    const [{ KvProvider }, { EtcdStore }] = await Promise.all([
      import('./kv/kv-provider.js'),
      import('./kv/etcd-store.js'),
    ]);
    providers.push(
      new KvProvider({
        name: 'etcd',
        rootKey: etcd.rootKey,
        logger: messageLogger(logger, 'etcd'),
        store: new EtcdStore(etcd),
      }),
    );
  }
  return providers;
}
