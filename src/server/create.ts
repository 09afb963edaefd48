/**
 * Assembles a Switchyard process from a validated static configuration. The assembler owns the
 * internal API (an InternalApi) and hands it to what adds routes: `switchyard up`'s stack API
 * and the worker pool receive it from here, never look it up from the Switchyard.
 */
import { createInternalServices, InternalApi } from '../api/index.js';
import type { StaticWarning } from '../config/static-loader.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import { createDashboardHandler } from '../dashboard/serve.js';
import { type RemoteStatistics, Telemetry } from '../metrics/telemetry.js';
import { loadLocalPlugins } from '../middlewares/index.js';
import { createProviders } from '../provider/index.js';
import type { Provider } from '../provider/provider.js';
import { defaultTransport, entryPointModels, entryPointOptions, internalSnapshot } from './settings.js';
import { Switchyard } from './switchyard.js';

/** How the process shares the data plane with worker processes (`--workers`). */
export interface DataPlaneSplit {
  /** Entry points the workers serve: this process knows them but does not listen on them. */
  remoteEntryPoints: readonly string[];
  /** The workers' statistics, merged into this process's. */
  remoteStatistics: RemoteStatistics;
}

/** The assembled process: the Switchyard and its internal API. */
export interface Assembly {
  app: Switchyard;
  /** The internal API; disabled (routes ignored) without an `api` section. */
  api: InternalApi;
}

/** What `assembleSwitchyard` adds to the static configuration. */
export interface AssemblyOptions {
  /** Providers besides those of the static configuration (`switchyard up`'s process provider). */
  providers?: Provider[];
  split?: DataPlaneSplit;
  /** Remarks made while loading the static configuration, for `/api/rawdata`'s `issues`. */
  staticWarnings?: readonly StaticWarning[];
  /** The static configuration's file, which the file provider may read too (a combined file). */
  staticFile?: string;
  /** Where `plugins-local/` is looked for (the working directory unless a test says otherwise). */
  workingDirectory?: string;
}

/** Creates (but does not start) a Switchyard for this configuration, with its internal API. */
export async function assembleSwitchyard(
  config: StaticConfiguration,
  logger: Logger,
  options: AssemblyOptions = {},
): Promise<Assembly> {
  const { providers = [], split, staticWarnings = [], staticFile, workingDirectory = process.cwd() } = options;
  // Before any table is built: the plugin middleware finds its module already loaded.
  await loadLocalPlugins(config.experimental.localPlugins, workingDirectory, logger);
  const internalServices = new Map();
  const telemetry = new Telemetry(config, logger);
  if (split !== undefined) telemetry.addRemote(split.remoteStatistics);
  const remote = new Set(split?.remoteEntryPoints ?? []);
  // One process per instance runs the resolvers (the primary with --workers; the pool forwards).
  // Loaded only with resolvers: the ACME and storage clients are heavy (managed-acme.ts).
  const acme =
    Object.keys(config.certificatesResolvers).length > 0
      ? new (await import('./managed-acme.js')).ManagedAcme(config, logger)
      : undefined;
  const app = new Switchyard({
    entryPoints: entryPointOptions(config).filter((entry) => !remote.has(entry.name)),
    remoteEntryPoints: [...remote],
    providers: [...(await createProviders(config, logger, { staticFile })), ...providers],
    defaultTransport: defaultTransport(config),
    logger,
    throttleMs: config.providers.providersThrottleDuration,
    internalSnapshot: internalSnapshot(config),
    internalServices,
    observer: telemetry.observer,
    entryPointModels: entryPointModels(config),
    certResolvers: new Set(Object.keys(config.certificatesResolvers)),
    ...(acme === undefined ? {} : { acme }),
  });
  const api = new InternalApi(config.api !== undefined);
  for (const [name, handler] of createInternalServices(app, config, telemetry, api, staticWarnings)) {
    internalServices.set(name, handler);
  }
  if (config.api?.dashboard === true) api.serveDashboard(createDashboardHandler());
  return { app, api };
}

/** Creates (but does not start) a Switchyard for this configuration, plus any extra providers. */
export async function createSwitchyard(
  config: StaticConfiguration,
  logger: Logger,
  extraProviders: Provider[] = [],
  split?: DataPlaneSplit,
): Promise<Switchyard> {
  return (await assembleSwitchyard(config, logger, { providers: extraProviders, split })).app;
}
