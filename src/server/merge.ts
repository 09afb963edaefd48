/**
 * Merges the latest snapshot of every provider into one runtime configuration: names are
 * qualified with `@provider`, and the issues each provider found are attached to the objects
 * they concern (an object its provider could not validate appears disabled, with its error).
 * Issues that concern no single object (an unknown key, a whole section) go to `issues`.
 */

import type { ConfigIssue } from '../core/config-issue.js';
import type { ProviderSnapshot } from '../provider/provider.js';
import { emptyRuntime, type RuntimeConfiguration, type RuntimeObject } from './runtime.js';
import { NAMED_SECTIONS, namedSection } from './sections.js';

/** The runtime map of a `[root, section]`, or undefined for a section that has none. */
function mapOf(
  runtime: RuntimeConfiguration,
  root: string,
  section: string,
): Map<string, RuntimeObject<unknown>> | undefined {
  return namedSection(root, section)?.objects(runtime);
}

/** Builds a fresh runtime configuration from provider snapshots (statuses all start enabled). */
export function mergeSnapshots(snapshots: Iterable<ProviderSnapshot>): RuntimeConfiguration {
  const runtime = emptyRuntime();
  for (const snapshot of snapshots) {
    const config = snapshot.config as Record<string, Record<string, Record<string, unknown> | undefined> | undefined>;
    for (const { root, section } of NAMED_SECTIONS) {
      const objects = config[root]?.[section] ?? {};
      for (const [name, definition] of Object.entries(objects)) {
        const object = ensure(runtime, root, section, name, snapshot.provider);
        object.config = definition;
        const location = snapshot.origins?.[`${root}.${section}.${name}`];
        if (location !== undefined) object.location = location;
      }
    }
    (snapshot.config.tls?.certificates ?? []).forEach((certificate, index) => {
      const location = snapshot.origins?.[`tls.certificates.${index}`];
      runtime.tls.certificates.push({
        provider: snapshot.provider,
        config: certificate,
        ...(location === undefined ? {} : { location }),
      });
    });
    for (const issue of snapshot.issues) attachIssue(runtime, issue, snapshot.provider);
  }
  return runtime;
}

function ensure(
  runtime: RuntimeConfiguration,
  root: string,
  section: string,
  name: string,
  provider: string,
): RuntimeObject<unknown> {
  const qualified = `${name}@${provider}`;
  const map = mapOf(runtime, root, section) as Map<string, RuntimeObject<unknown>>;
  let object = map.get(qualified);
  if (object === undefined) {
    object = { name: qualified, provider, config: undefined, status: 'enabled', errors: [], usedBy: [] };
    if (root === 'http' && section === 'routers') Object.assign(object, { using: [], priority: 0 });
    if (root === 'http' && (section === 'services' || section === 'middlewares')) {
      Object.assign(object, { type: undefined });
    }
    map.set(qualified, object);
  }
  return object;
}

function attachIssue(runtime: RuntimeConfiguration, issue: ConfigIssue, provider: string): void {
  const [root, section, name] = issue.path;
  if (
    root !== undefined &&
    section !== undefined &&
    name !== undefined &&
    mapOf(runtime, root, section) !== undefined
  ) {
    const message = issue.location ? `${issue.message} (${issue.location})` : issue.message;
    const object = ensure(runtime, root, section, name, provider);
    if (!object.errors.includes(message)) object.errors.push(message);
    if (issue.severity === 'error') object.status = 'disabled';
    else if (object.status === 'enabled') object.status = 'warning';
    return;
  }
  // An issue about no single object (an unknown key, a malformed section) is kept on its own.
  const key = issue.path.join('.');
  const known = runtime.issues.some((i) => i.source === provider && i.key === key && i.message === issue.message);
  if (known) return;
  runtime.issues.push({
    severity: issue.severity,
    key,
    message: issue.message,
    source: provider,
    ...(issue.location === undefined ? {} : { location: issue.location }),
  });
}
