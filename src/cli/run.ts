/**
 * `switchyard` (run): load the static configuration, start the proxy, reload on SIGHUP, drain
 * and exit 0 on SIGTERM/SIGINT. With `--workers N` (N > 1) this process becomes the primary:
 * control plane here, data-plane entry points in N worker processes.
 */

import { loadStaticConfiguration } from '../config/static-loader.js';
import { installLastResort } from '../core/last-resort.js';
import type { Logger } from '../core/logger.js';
import { createLogger } from '../logger.js';
import { assembleSwitchyard } from '../server/create.js';
import type { Switchyard } from '../server/switchyard.js';
import { startPrimary } from '../server/workers/primary.js';
import { placeEntryPoints, resolveWorkerCount } from '../server/workers/protocol.js';

/** Runs the proxy until a termination signal; resolves with the exit code. */
export async function runCommand(args: string[]): Promise<number> {
  const { config, source, warnings, remarks } = await loadStaticConfiguration({
    args,
    env: process.env,
    cwd: process.cwd(),
  });
  const logger = createLogger(config.log);
  installLastResort(logger);
  for (const warning of warnings) logger.warn({}, warning);
  logger.info({ source: source.path ?? source.kind }, 'static configuration loaded');
  const workers = resolveWorkerCount(config.workers);
  if (workers > 1) {
    const placement = placeEntryPoints(config);
    if (placement.workers.length > 0) {
      const { app, pool } = await startPrimary(config, logger, workers, placement, remarks, source.path);
      return untilSignal(app, logger, () => pool.stop());
    }
    logger.warn(
      { entryPoints: placement.primary },
      'workers: every entry point serves the API, dashboard, ping or metrics, which stay in one process; running without workers',
    );
  }
  const { app } = await assembleSwitchyard(config, logger, { staticWarnings: remarks, staticFile: source.path });
  await app.start();
  return untilSignal(app, logger);
}

/** Handles SIGHUP (reload) and SIGTERM/SIGINT (graceful stop); resolves with the exit code. */
export function untilSignal(app: Switchyard, logger: Logger, beforeStop?: () => Promise<void>): Promise<number> {
  const onHangup = () => {
    logger.info({}, 'SIGHUP: reloading configuration');
    Promise.all(app.options.providers.map((p) => p.reload?.()))
      .then(() => app.rebuild())
      .catch((error: Error) => logger.error({ err: error.message }, 'reload failed'));
  };
  process.on('SIGHUP', onHangup);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      (beforeStop ?? (async () => undefined))()
        .then(() => app.stop())
        .then(
          () => resolve(0),
          (error: Error) => {
            logger.error({ err: error.message }, 'shutdown failed');
            resolve(1);
          },
        )
        .finally(() => process.off('SIGHUP', onHangup));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
