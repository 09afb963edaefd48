/** Assembles a Switchyard process from a validated static configuration. */
import { createInternalServices, setDashboardHandler } from '../api/index.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import { createDashboardHandler } from '../dashboard/serve.js';
import { type RemoteStatistics, Telemetry } from '../metrics/telemetry.js';
import { createProviders } from '../provider/index.js';
import type { Provider } from '../provider/provider.js';
import { defaultTransport, entryPointOptions, internalSnapshot } from './settings.js';
import { Switchyard } from './switchyard.js';
import type { Logger } from './watcher.js';

/** How the process shares the data plane with worker processes (`--workers`). */
export interface DataPlaneSplit {
  /** Entry points the workers serve: this process knows them but does not listen on them. */
  remoteEntryPoints: readonly string[];
  /** The workers' statistics, merged into this process's. */
  remoteStatistics: RemoteStatistics;
}

/** Creates (but does not start) a Switchyard for this configuration, plus any extra providers. */
export async function createSwitchyard(
  config: StaticConfiguration,
  logger: Logger,
  extraProviders: Provider[] = [],
  split?: DataPlaneSplit,
): Promise<Switchyard> {
  const internalServices = new Map();
  const telemetry = new Telemetry(config, logger);
  if (split !== undefined) telemetry.addRemote(split.remoteStatistics);
  const remote = new Set(split?.remoteEntryPoints ?? []);
  const app = new Switchyard({
    entryPoints: entryPointOptions(config).filter((entry) => !remote.has(entry.name)),
    remoteEntryPoints: [...remote],
    providers: [...(await createProviders(config, logger)), ...extraProviders],
    defaultTransport: defaultTransport(config),
    logger,
    throttleMs: config.providers.providersThrottleDuration,
    internalSnapshot: internalSnapshot(config),
    internalServices,
    observer: telemetry.observer,
  });
  for (const [name, handler] of createInternalServices(app, config, telemetry)) internalServices.set(name, handler);
  if (config.api?.dashboard !== false) setDashboardHandler(app, createDashboardHandler());
  return app;
}
