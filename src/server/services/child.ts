/**
 * A child service as the strategies of a parent service see it (`weighted`,
 * `highestRandomWeight`): a candidate whose key is the child's name and which is available
 * while the child has a server to take the request.
 */
import type { Candidate } from '../../balancer/strategy.js';
import type { ServiceHandle } from './handle.js';

export class ChildService implements Candidate {
  constructor(
    readonly handle: ServiceHandle,
    readonly weight: number,
  ) {}
  get key(): string {
    return this.handle.name;
  }
  available(now: number): boolean {
    return this.handle.available(now);
  }
  /** Children carry no load figure of their own: parents balance by weight only. */
  load(): number {
    return 0;
  }
}

/** The children of a parent service, from its configuration's list. */
export function childServices(children: Array<{ handle: ServiceHandle; weight: number }>): ChildService[] {
  return children.map((c) => new ChildService(c.handle, c.weight));
}

/** Whether any child with a weight can take a request now (the parent's own availability). */
export function anyChildAvailable(children: readonly ChildService[], now: number): boolean {
  for (const child of children) if (child.weight > 0 && child.available(now)) return true;
  return false;
}
