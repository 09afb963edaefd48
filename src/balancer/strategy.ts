/**
 * The balancing strategy interface. Strategies only ask "available?" of each candidate; health,
 * draining and in-flight counts live in the upstream state registry.
 */

/** Something a strategy can pick: a server of a load balancer, or a child of a weighted service. */
export interface Candidate {
  /** Relative weight (0 means never picked). */
  readonly weight: number;
  /** Whether it can take a request now. */
  available(now: number): boolean;
}

/** Picks the next candidate, or undefined when none is available. */
export interface Strategy<C extends Candidate> {
  next(now: number, clientIp: string): C | undefined;
}
