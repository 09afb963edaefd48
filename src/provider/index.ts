/** Builds the configured providers from the static configuration. */
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import { FileProvider } from './file/file-provider.js';
import type { Provider, ProviderLogger } from './provider.js';

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
        staticFile: options.staticFile,
        logger: messageLogger(logger, 'file'),
      }),
    );
  }
  const docker = config.providers.docker;
  if (docker !== undefined) {
    const { DockerProvider } = await import('./docker/docker-provider.js');
    providers.push(new DockerProvider({ ...docker, logger: messageLogger(logger, 'docker') }));
  }
  return providers;
}
