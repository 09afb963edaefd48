/** What every built service offers its parents and routers. */
import type { Candidate } from '../../balancer/strategy.js';
import type { Handler } from '../../middlewares/types.js';
import type { UpstreamTarget } from '../../proxy/upstream-target.js';

/** A built service: its handler and whether it can take a request now (for parents). */
export interface ServiceHandle extends Candidate {
  readonly name: string;
  readonly handler: Handler;
  /** The upstream targets it balances over (empty for composite and internal services). */
  readonly targets: readonly UpstreamTarget[];
}

/** The plain-text body of a 503 when no server of a service can take the request. */
export const NO_AVAILABLE_SERVER = 'no available server\n';
