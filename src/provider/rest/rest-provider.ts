/**
 * Traefik's REST provider (`providers.rest`): the dynamic configuration is whatever was last
 * PUT, as JSON, to `/api/providers/rest` (served by `rest@internal`; with `providers.rest.insecure`
 * a router on the `traefik` entry point reaches it). Each PUT replaces the whole configuration,
 * validated object by object like any provider's. It starts empty and keeps nothing on disk.
 */
import type { DynamicConfiguration } from '../../config/dynamic-schema.js';
import { validateDynamicConfiguration } from '../../config/dynamic-validate.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import type { Provider, ProviderSink } from '../provider.js';

/** The provider behind `rest@internal`. */
export class RestProvider implements Provider {
  readonly name = 'rest';
  private sink: ProviderSink | undefined;

  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = undefined;
  }

  /**
   * Replaces the configuration with `body` (a parsed JSON document); returns what was accepted
   * and the issues found, which travel with the snapshot (API, logs).
   */
  put(body: unknown): { config: DynamicConfiguration; issues: ConfigIssue[] } {
    const { config, issues } = validateDynamicConfiguration(body ?? {});
    this.sink?.publish({ provider: this.name, config, issues });
    return { config, issues };
  }
}
