import { type Logger, pino } from 'pino';
import { readAppEnv } from './env.js';
import type { RunningServer } from './lifecycle.js';

/** What `runApp` hands to an app's starter. */
export interface StartContext {
  port: number;
  host: string;
  replicaId: string;
  logger: Logger;
}

/**
 * The whole of an app's `main`: read the environment, start, log one line, and shut down gracefully
 * on SIGTERM/SIGINT. Kept here so each app's main.ts stays a one-liner.
 */
export async function runApp(
  name: string,
  defaultPort: number,
  start: (ctx: StartContext) => Promise<RunningServer>,
): Promise<void> {
  const logger = pino({ name, level: process.env.LOG_LEVEL?.trim() || 'info' });
  let running: RunningServer;
  let replicaId: string;
  try {
    const env = readAppEnv(process.env, defaultPort);
    replicaId = env.replicaId;
    running = await start({ port: env.port, host: env.host, replicaId, logger });
    logger.info({ port: running.port, host: env.host, replica: replicaId, pid: process.pid }, `${name} listening`);
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means the operator is impatient: leave now.
      logger.warn({ signal }, 'second signal, exiting immediately');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, replica: replicaId }, `${name} shutting down`);
    // Backstop in case something keeps the event loop alive past the grace period.
    setTimeout(() => process.exit(1), 10_000).unref();
    running.close().then(
      () => {
        logger.info({ replica: replicaId }, `${name} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
