/**
 * The balancing strategy interface. Strategies only ask "available?" of each candidate; health,
 * draining and in-flight counts live in the upstream state registry.
 */

/** Something a strategy can pick: a server of a load balancer, or a child of a weighted service. */
export interface Candidate {
  /** Stable identity across reloads: a server URL, or a child service's name. */
  readonly key: string;
  /** Relative weight (0 means never picked). */
  readonly weight: number;
  /** Whether it can take a request now. */
  available(now: number): boolean;
  /** Requests in flight now (p2c compares it); composite candidates may report 0. */
  load(): number;
  /** Average time to the first byte of an answer, in ms (leasttime); absent or 0 when not measured. */
  responseTime?(): number;
}

/**
 * Keys of candidates a request should avoid if it can (servers that already failed it, before a
 * retry). Strategies skip those when another available candidate exists, and fall back to them
 * otherwise. Null in the common case, so the hot path pays nothing.
 */
export type Avoid = readonly string[] | null;

/** Picks the next candidate, or undefined when none is available. */
export interface Strategy<C extends Candidate> {
  /**
   * @param now      current time in ms (for health windows)
   * @param clientIp the client's address, for strategies that hash it (hrw)
   * @param avoid    candidates to skip if another one is available, or null (the common case)
   */
  next(now: number, clientIp: string, avoid: Avoid): C | undefined;
}

/** Whether a candidate may be picked now, given what to avoid. */
export function eligible(candidate: Candidate, now: number, avoid: Avoid): boolean {
  return candidate.weight > 0 && candidate.available(now) && (avoid === null || !avoid.includes(candidate.key));
}
