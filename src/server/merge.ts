/**
 * Merges the latest snapshot of every provider into one runtime configuration: names are
 * qualified with `@provider`, and the issues each provider found are attached to the objects
 * they concern (an object its provider could not validate appears disabled, with its error).
 */
import type { ConfigIssue, ProviderSnapshot } from '../provider/provider.js';
import type { RuntimeConfiguration, RuntimeObject } from './runtime.js';

type Kind = 'routers' | 'services' | 'middlewares' | 'serversTransports';
const KINDS: readonly Kind[] = ['routers', 'services', 'middlewares', 'serversTransports'];

/** Builds a fresh runtime configuration from provider snapshots (statuses all start enabled). */
export function mergeSnapshots(snapshots: Iterable<ProviderSnapshot>): RuntimeConfiguration {
  const runtime: RuntimeConfiguration = {
    routers: new Map(),
    services: new Map(),
    middlewares: new Map(),
    serversTransports: new Map(),
  };
  for (const snapshot of snapshots) {
    const http = snapshot.config.http ?? {};
    for (const kind of KINDS) {
      const objects = (http as Record<string, Record<string, unknown> | undefined>)[kind] ?? {};
      for (const [name, config] of Object.entries(objects)) {
        const object = ensure(runtime, kind, name, snapshot.provider);
        object.config = config;
        const location = snapshot.origins?.[`http.${kind}.${name}`];
        if (location !== undefined) object.location = location;
      }
    }
    for (const issue of snapshot.issues) attachIssue(runtime, issue, snapshot.provider);
  }
  return runtime;
}

function ensure(runtime: RuntimeConfiguration, kind: Kind, name: string, provider: string): RuntimeObject<unknown> {
  const qualified = `${name}@${provider}`;
  const map = runtime[kind] as Map<string, RuntimeObject<unknown>>;
  let object = map.get(qualified);
  if (object === undefined) {
    object = { name: qualified, provider, config: undefined, status: 'enabled', errors: [], usedBy: [] };
    if (kind === 'routers') Object.assign(object, { using: [], priority: 0 });
    if (kind === 'services' || kind === 'middlewares') Object.assign(object, { type: undefined });
    map.set(qualified, object);
  }
  return object;
}

function attachIssue(runtime: RuntimeConfiguration, issue: ConfigIssue, provider: string): void {
  const [root, kind, name] = issue.path;
  const message = issue.location ? `${issue.message} (${issue.location})` : issue.message;
  if (root === 'http' && KINDS.includes(kind as Kind) && name !== undefined) {
    const object = ensure(runtime, kind as Kind, name, provider);
    if (!object.errors.includes(message)) object.errors.push(message);
    if (issue.severity === 'error') object.status = 'disabled';
    else if (object.status === 'enabled') object.status = 'warning';
  }
  // Issues that concern no single object (e.g. a whole file) travel as provider failures.
}
