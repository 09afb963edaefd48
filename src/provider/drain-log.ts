/**
 * How a provider waits for a leaving server's drain (src/balancer/drain.ts): the wait never
 * rejects into an unhandled promise, and its outcome is logged one way for every provider.
 */
import type { ServerDrains } from '../balancer/drain.js';
import type { ProviderLogger } from './provider.js';

/** Waits for `url`'s drain and logs how it ended (`what` names the workload); never rejects. */
export async function drainAndLog(
  drains: ServerDrains,
  url: string,
  what: string,
  logger: ProviderLogger,
): Promise<void> {
  try {
    const outcome = await drains.drain(url);
    const line = `${what}: ${url} drained in ${outcome.waitedMs} ms`;
    if (outcome.ended === 'grace')
      logger.warn(`${line}, ${outcome.inFlight} request(s) still in flight after the grace period`);
    else logger.debug(`${line} (${outcome.ended})`);
  } catch (error) {
    logger.warn(`${what}: draining ${url} failed: ${(error as Error).message}`);
  }
}
