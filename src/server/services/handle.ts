/** What every built service offers its parents and routers. */
import type { Handler } from '../../core/request-context.js';

/** A built service: its handler and whether it can take a request now (for parents). */
export interface ServiceHandle {
  readonly name: string;
  readonly handler: Handler;
  available(now: number): boolean;
}

/** The plain-text body of a 503 when no server of a service can take the request. */
export const NO_AVAILABLE_SERVER = 'no available server\n';
