/**
 * Announcements of a server's availability changes, so the parts that follow them (the API's
 * live stream, the worker pool pushing health to workers) listen instead of polling the upstream
 * registry. A change is emitted once, by whoever makes it (active health checks, passive health,
 * the drainer), through the UpstreamState methods; balancers need no listener, they read the
 * same state on every pick.
 */

/** Which input of a server's availability changed. */
export type UpstreamChangeCause = 'active-health' | 'passive-health' | 'draining';

/** One change of one server's state. */
export interface UpstreamChange {
  /** The server URL (the registry key). */
  readonly url: string;
  readonly cause: UpstreamChangeCause;
  /** Whether a balancer may pick the server now, after the change. */
  readonly available: boolean;
}

/** Called synchronously on each change; must not throw (see `emit`). */
export type UpstreamListener = (change: UpstreamChange) => void;

/** A small typed emitter of upstream changes; one per registry. */
export class UpstreamEvents {
  private readonly listeners = new Set<UpstreamListener>();

  /** Calls `listener` on every change; returns a function that removes it. */
  on(listener: UpstreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether anyone listens (timers that only serve listeners are skipped otherwise). */
  get listened(): boolean {
    return this.listeners.size > 0;
  }

  /** Tells every listener about a change. */
  emit(change: UpstreamChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        // One faulty listener must not keep the others (or the health check that emitted) from
        // going on; the process's last-resort handler reports it.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
