/**
 * Collects provider snapshots: keeps the latest per provider, drops one equal to the last,
 * and coalesces bursts (a compose stack starting emits many) into one rebuild.
 */

import type { Logger } from '../core/logger.js';
import type { SwitchyardError } from '../errors.js';
import type { ProviderSink, ProviderSnapshot } from '../provider/provider.js';
import type { ProviderFailure } from './runtime.js';

/** Latest snapshot per provider, and the providers' current failures. */
export class ConfigurationWatcher {
  private readonly snapshots = new Map<string, ProviderSnapshot>();
  private readonly serialized = new Map<string, string>();
  /** Providers that cannot produce configuration now (shown in the API). */
  readonly failures = new Map<string, ProviderFailure>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onChange: () => void,
    private readonly throttleMs: number,
    private readonly logger: Logger,
  ) {}

  /** The sink a provider publishes into. */
  sinkFor(provider: string): ProviderSink {
    return {
      publish: (snapshot) => this.publish({ ...snapshot, provider }),
      fail: (error) => this.fail(provider, error),
    };
  }

  /** Current snapshots, in provider registration order. */
  current(): ProviderSnapshot[] {
    return [...this.snapshots.values()];
  }

  /** Whether a change is waiting for its rebuild. */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** Drops a pending rebuild (the caller is rebuilding from `current()` right now). */
  cancelPending(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private publish(snapshot: ProviderSnapshot): void {
    this.failures.delete(snapshot.provider);
    const text = JSON.stringify(snapshot);
    if (this.serialized.get(snapshot.provider) === text) {
      this.logger.debug({ provider: snapshot.provider }, 'configuration unchanged, skipped');
      return;
    }
    this.serialized.set(snapshot.provider, text);
    this.snapshots.set(snapshot.provider, snapshot);
    this.logger.debug({ provider: snapshot.provider }, 'configuration received');
    this.schedule();
  }

  private fail(provider: string, error: SwitchyardError): void {
    this.failures.set(provider, {
      provider,
      code: error.code,
      message: error.message,
      location: error.location,
      since: new Date().toISOString(),
    });
    this.logger.error(
      { provider, code: error.code, location: error.location, err: error.message },
      'provider error; keeping the last good configuration',
    );
    // Nothing to rebuild: the routing stays as it was; the API reads `failures` directly.
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onChange();
    }, this.throttleMs);
  }
}
