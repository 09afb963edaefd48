/**
 * The last line of defence of the data plane. Every socket callback on the request path catches
 * what it calls (`caughtAtBoundary`), and the process installs handlers for what still escapes
 * (`installLastResort`): a bug met by one request must cost that request, not every request in
 * flight. Both log and count, so a defect that slipped through shows up in the logs and
 * the metrics instead of as a restart.
 */

/** Counts of errors caught by the guards since the process started. */
export const lastResortCounts = {
  /** Caught inside a socket callback on the request path. */
  atBoundary: 0,
  /** Escaped to the process (`uncaughtException`, `unhandledRejection`). */
  uncaught: 0,
};

/** What the guards log with. */
export interface LastResortLogger {
  error(obj: object, msg?: string): void;
}

let logger: LastResortLogger | null = null;

/**
 * Turns something thrown inside a socket callback into the error that fails the exchange (the
 * caller answers 502 or cuts that one connection), and logs and counts it.
 */
export function caughtAtBoundary(thrown: unknown, where: string): NodeJS.ErrnoException {
  lastResortCounts.atBoundary++;
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  logger?.error({ err: error.stack ?? error.message, where }, 'error caught on the request path');
  return Object.assign(new Error(`internal error in ${where}: ${error.message}`), { code: 'SY_INTERNAL' });
}

let installed = false;

/**
 * Keeps the process serving when an exception escapes to the event loop: it is logged with its
 * stack and counted. Installed once by the process that runs a data plane.
 */
export function installLastResort(log: LastResortLogger): void {
  logger = log;
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (error, origin) => {
    lastResortCounts.uncaught++;
    logger?.error({ err: error.stack ?? String(error), origin }, 'uncaught exception: the process keeps serving');
  });
  process.on('unhandledRejection', (reason) => {
    lastResortCounts.uncaught++;
    const err = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    logger?.error({ err }, 'unhandled promise rejection: the process keeps serving');
  });
}
