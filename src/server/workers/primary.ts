/**
 * Starts the primary of `--workers N`: the control plane (providers, watcher, merge, health
 * checks, API, dashboard, metrics and the entry points they use) in this process, and N worker
 * processes for every other entry point.
 */
import type { StaticWarning } from '../../config/static-loader.js';
import type { StaticConfiguration } from '../../config/static-schema.js';
import type { Logger } from '../../core/logger.js';
import { assembleSwitchyard } from '../create.js';
import type { Switchyard } from '../switchyard.js';
import { WorkerPool } from './pool.js';
import type { EntryPointPlacement } from './protocol.js';

/** A running primary and its workers. */
export interface Primary {
  app: Switchyard;
  pool: WorkerPool;
}

/** Starts the control plane, then the workers with the first configuration already built. */
export async function startPrimary(
  config: StaticConfiguration,
  logger: Logger,
  count: number,
  placement: EntryPointPlacement,
  staticWarnings: readonly StaticWarning[] = [],
  staticFile?: string,
): Promise<Primary> {
  const graceMs = 10_000;
  // The pool is the statistics source of the primary's telemetry, and follows its reloads.
  const pool = new WorkerPool(config, logger, count, placement, graceMs);
  const { app, api } = await assembleSwitchyard(config, logger, {
    split: { remoteEntryPoints: placement.workers, remoteStatistics: pool.statistics },
    staticWarnings,
    staticFile,
  });
  pool.attach(app, api);
  await app.start();
  try {
    await pool.start();
  } catch (error) {
    await app.stop(0);
    throw error;
  }
  logger.info({ workers: count, entryPoints: placement.workers, primary: placement.primary }, 'workers started');
  return { app, pool };
}
