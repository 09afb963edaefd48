/**
 * A child service as the strategy of a parent service sees it — HTTP `weighted` and
 * `highestRandomWeight`, TCP and UDP `weighted`: a candidate named after the child and available
 * while the child has a server to take the request or connection.
 */
import type { Candidate } from './strategy.js';

/** What a parent needs of a child service. */
export interface ChildLike {
  readonly name: string;
  available(now: number): boolean;
}

export class ChildService<S extends ChildLike> implements Candidate {
  constructor(
    readonly service: S,
    readonly weight: number,
  ) {}
  get key(): string {
    return this.service.name;
  }
  available(now: number): boolean {
    return this.service.available(now);
  }
  /** Children carry no load figure of their own: parents balance by weight only. */
  load(): number {
    return 0;
  }
}

/** The children of a parent service, from its configuration's list. */
export function childServices<S extends ChildLike>(
  children: ReadonlyArray<{ service: S; weight: number }>,
): Array<ChildService<S>> {
  return children.map((c) => new ChildService(c.service, c.weight));
}

/** Whether any child with a weight can take a request now (the parent's own availability). */
export function anyChildAvailable(children: ReadonlyArray<ChildService<ChildLike>>, now: number): boolean {
  for (const child of children) if (child.weight > 0 && child.available(now)) return true;
  return false;
}
