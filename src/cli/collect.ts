/**
 * One-shot configuration for `check` and `explain`: reads the dynamic configuration once (the
 * files named on the command line, else the static file provider's), then merges and builds
 * it exactly as the running proxy would, without listening anywhere.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import { configFormat } from '../config/config-file.js';
import { parseDynamicFile } from '../config/dynamic-validate.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import { SwitchyardError } from '../errors.js';
import type { ProviderSnapshot } from '../provider/provider.js';
import { TransportPool } from '../proxy/transport.js';
import { type BuiltTable, buildRoutingTable } from '../server/build-table.js';
import { mergeSnapshots } from '../server/merge.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import { defaultTransport, entryPointOptions, internalSnapshot } from '../server/settings.js';

/** A file that could not be read or parsed at all. */
export interface FileFailure {
  file: string;
  message: string;
  location?: string;
}

/** The merged, built configuration and the files that failed. */
export interface CollectedConfiguration {
  runtime: RuntimeConfiguration;
  built: BuiltTable;
  files: string[];
  failures: FileFailure[];
}

/** Dynamic files to read: the ones given, else the static file provider's file or directory. */
async function dynamicFiles(config: StaticConfiguration, explicit: string[]): Promise<string[]> {
  if (explicit.length > 0) return explicit;
  const file = config.providers.file;
  if (file === undefined) return [];
  if (file.filename !== undefined) return [file.filename];
  if (file.directory === undefined) return [];
  const names = await readdir(file.directory);
  return names
    .filter((name) => configFormat(name) !== undefined)
    .sort()
    .map((name) => join(file.directory as string, name));
}

/** Reads, validates, merges and builds the configuration once. */
export async function collectConfiguration(
  config: StaticConfiguration,
  explicitFiles: string[],
): Promise<CollectedConfiguration> {
  const files = await dynamicFiles(config, explicitFiles);
  const failures: FileFailure[] = [];
  const merged: ProviderSnapshot = { provider: 'file', config: { http: {} }, issues: [] };
  const http = merged.config.http as Record<string, Record<string, unknown>>;
  for (const file of files) {
    try {
      if (configFormat(file) === undefined) throw new Error(`unsupported file type ${extname(file) || '(none)'}`);
      const result = parseDynamicFile(await readFile(file, 'utf8'), file);
      merged.issues.push(...result.issues);
      for (const [kind, objects] of Object.entries(result.config.http ?? {})) {
        http[kind] = { ...(http[kind] ?? {}), ...(objects as Record<string, unknown>) };
      }
    } catch (error) {
      const e = error as Error;
      failures.push({
        file,
        message: e.message,
        location: error instanceof SwitchyardError ? error.location : undefined,
      });
    }
  }
  const runtime = mergeSnapshots([internalSnapshot(config), merged]);
  const entryPoints = entryPointOptions(config).map((e) => e.name);
  const transports = new TransportPool();
  const internalServices = new Map(
    ['api@internal', 'dashboard@internal', 'ping@internal', 'prometheus@internal'].map((n) => [n, () => undefined]),
  );
  const built = buildRoutingTable(runtime, {
    entryPoints,
    defaultEntryPoints: entryPoints,
    upstreams: new UpstreamRegistry(),
    transports,
    defaultTransport: defaultTransport(config),
    internalServices,
  });
  transports.destroyAll();
  return { runtime, built, files, failures };
}
