/**
 * Loads the static configuration the way Traefik does. Traefik's documentation: the static
 * configuration comes from three "mutually exclusive (you can use only one at the same time)"
 * sources, "evaluated in the order listed": the configuration file, then command-line
 * arguments, then environment variables. So:
 *
 * 1. a file — `--configFile F`, else the first `switchyard.yml|yaml|toml` found in the working
 *    directory, then `/etc/switchyard/`. When a file is used, every other flag and variable is
 *    ignored (we say so in `warnings`; Traefik is silent about it);
 * 2. otherwise CLI flags (`--entryPoints.web.address=:8000`), when there is at least one;
 * 3. otherwise environment variables `TRAEFIK_*` and `SWITCHYARD_*` (the latter wins on a clash);
 * 4. otherwise defaults.
 *
 * Then, like Traefik: without any entry point an `http` one on `:80` is created, and the internal
 * `traefik` entry point on `:8080` is added when `api.insecure`, `ping` or `metrics.prometheus`
 * need it.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { canonicalizeKeys } from './canonicalize.js';
import { type Locator, parseConfigText } from './config-file.js';
import { deepFreeze } from './freeze.js';
import { envToTree, flagsToTree, formatKeyPath, type KeySegment } from './labels.js';
import { isSwitch, normalizeForSchema, schemaAt, unknownKeys } from './schema-walk.js';
import {
  type EntryPointConfig,
  entryPointSchema,
  IGNORED_TRAEFIK_KEYS,
  type StaticConfiguration,
  staticConfigurationSchema,
} from './static-schema.js';
import { unhonouredSettings } from './static-unimplemented.js';

export type { StaticConfiguration } from './static-schema.js';

/** Where to look for the static configuration; every field defaults to the running process. */
export interface StaticLoadOptions {
  /** Arguments without the CLI's own flags; default `process.argv.slice(2)`. */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Directories searched for `switchyard.{yml,yaml,toml}`; default the cwd then `/etc/switchyard`. */
  searchDirs?: string[];
}

/** Which single source the configuration came from. */
export interface StaticSource {
  kind: 'file' | 'flags' | 'env' | 'defaults';
  path?: string;
}

/** A non-fatal remark about the static configuration, by the key it concerns. */
export interface StaticWarning {
  /** Dotted key path (`entryPoints.web.proxyProtocol`); empty when it is about the source itself. */
  key: string;
  /** The whole remark, key and location included (as in `warnings`). */
  message: string;
  location?: string;
}

/** The loaded configuration, its source, non-fatal remarks and the non-configuration arguments. */
export interface StaticLoadResult {
  config: StaticConfiguration;
  source: StaticSource;
  /** Each remark as one line (logs, `check`): the remarks' messages. */
  warnings: string[];
  /** The same remarks with the key each concerns (`/api/rawdata`'s `issues`). */
  remarks: StaticWarning[];
  /** Arguments that are not configuration flags (subcommand operands), in order. */
  rest: string[];
}

const FILE_NAMES = ['switchyard.yml', 'switchyard.yaml', 'switchyard.toml'];
const ENV_PREFIXES = ['TRAEFIK', 'SWITCHYARD'];

const topLevelKeys = new Set(
  [...Object.keys(staticConfigurationSchema.shape), ...IGNORED_TRAEFIK_KEYS].map((k) => k.toLowerCase()),
);

function isConfigKey(first: string): boolean {
  return topLevelKeys.has(first.toLowerCase());
}

function isStaticSwitch(path: KeySegment[]): boolean {
  const schema = schemaAt(staticConfigurationSchema, path);
  return schema !== undefined && isSwitch(schema);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function findConfigFile(dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    for (const name of FILE_NAMES) {
      const candidate = join(dir, name);
      if (await isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Loads, validates and freezes the static configuration from exactly one source (see above). */
export async function loadStaticConfiguration(options: StaticLoadOptions = {}): Promise<StaticLoadResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const flags = flagsToTree(options.args ?? process.argv.slice(2), {
    accept: (first) => isConfigKey(first) || first.toLowerCase() === 'configfile',
    isSwitch: isStaticSwitch,
  });
  const configFileKey = Object.keys(flags.tree).find((k) => k.toLowerCase() === 'configfile');
  const configFile = configFileKey === undefined ? undefined : flags.tree[configFileKey];
  if (configFileKey !== undefined) delete flags.tree[configFileKey];
  if (configFile !== undefined && (typeof configFile !== 'string' || configFile === 'true')) {
    throw new ConfigError('--configFile needs a file name', '--configFile');
  }
  const hasFlags = Object.keys(flags.tree).length > 0;
  const envTree = envToTree(env, ENV_PREFIXES, { accept: isConfigKey });
  const hasEnv = Object.keys(envTree.tree).length > 0;
  const remarks: StaticWarning[] = [];
  const sourceWarning = (message: string) => remarks.push({ key: '', message });
  // `warnings` is the remarks' messages, derived where the result is made.
  const loaded = (config: StaticConfiguration, source: StaticSource): StaticLoadResult => ({
    config,
    source,
    warnings: remarks.map((remark) => remark.message),
    remarks,
    rest: flags.rest,
  });

  let filePath: string | undefined;
  if (configFile !== undefined) {
    filePath = resolve(cwd, configFile);
    if (!(await isFile(filePath))) throw new ConfigError(`configuration file not found: ${filePath}`, filePath);
  } else {
    filePath = await findConfigFile(options.searchDirs ?? [cwd, '/etc/switchyard']);
  }

  if (filePath !== undefined) {
    if (hasFlags) sourceWarning(`configuration flags are ignored: the configuration comes from ${filePath}`);
    if (hasEnv)
      sourceWarning(`configuration environment variables are ignored: the configuration comes from ${filePath}`);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read ${filePath}: ${(error as Error).message}`, filePath, error);
    }
    const parsed = parseConfigText(text, filePath);
    const config = buildStaticConfiguration(parsed.value, { locate: parsed.locate, remarks, file: filePath, cwd });
    return loaded(config, { kind: 'file', path: filePath });
  }
  if (hasFlags) {
    if (hasEnv) sourceWarning('configuration environment variables are ignored: the configuration comes from flags');
    const config = buildStaticConfiguration(flags.tree, { locate: originLocator(flags.origins), remarks });
    return loaded(config, { kind: 'flags' });
  }
  if (hasEnv) {
    const config = buildStaticConfiguration(envTree.tree, { locate: originLocator(envTree.origins), remarks });
    return loaded(config, { kind: 'env' });
  }
  return loaded(buildStaticConfiguration({}, { remarks }), { kind: 'defaults' });
}

/** A locator for flags and variables: the flag or variable behind a path, or behind its nearest parent. */
function originLocator(origins: Map<string, string>): Locator {
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const key = formatKeyPath(path.slice(0, n)).toLowerCase();
      const exact = origins.get(key);
      if (exact) return exact;
      for (const [k, origin] of origins) if (k.startsWith(`${key}.`) || k.startsWith(`${key}[`)) return origin;
    }
    return undefined;
  };
}

function describe(
  path: readonly PropertyKey[],
  message: string,
  locate?: Locator,
): { text: string; location: string; key: string } {
  const segments = path.filter((p): p is string | number => typeof p !== 'symbol');
  const keyPath = formatKeyPath(segments) || '(root)';
  const where = locate?.(segments);
  if (where === undefined) return { text: `${keyPath}: ${message}`, location: keyPath, key: keyPath };
  // A file position reads best first; a flag or variable name reads best as a hint.
  if (/:\d+:\d+$/.test(where)) return { text: `${where}: ${keyPath}: ${message}`, location: where, key: keyPath };
  return { text: `${keyPath}: ${message} (from ${where})`, location: where, key: keyPath };
}

/**
 * Validates a raw static configuration tree (any key case, string leaves allowed), applies
 * defaults and Traefik's implicit entry points, and freezes it. Throws ConfigError.
 */
export function buildStaticConfiguration(
  raw: unknown,
  options: { locate?: Locator; remarks?: StaticWarning[]; file?: string; cwd?: string } = {},
): StaticConfiguration {
  const { locate, remarks = [] } = options;
  const warn = (path: readonly PropertyKey[], message: string) => {
    const { text, location, key } = describe(path, message, locate);
    remarks.push(location === key ? { key, message: text } : { key, message: text, location });
  };
  const tree = raw ?? {};
  if (typeof tree !== 'object' || Array.isArray(tree)) {
    throw new ConfigError('the static configuration must be a mapping of keys to values', locate?.([]));
  }
  const canonical = canonicalizeKeys(normalizeForSchema(tree, staticConfigurationSchema), staticConfigurationSchema);
  const errors: { text: string; location: string }[] = [];
  const ignored = new Set(IGNORED_TRAEFIK_KEYS.map((k) => k.toLowerCase()));
  // Root keys Traefik's static loader does not know, which it ignores: judged once the file
  // provider's settings are known (it may read this very file's dynamic sections).
  const foreignRoots: string[][] = [];
  for (const path of unknownKeys(canonical, staticConfigurationSchema)) {
    if (path.length === 1 && !ignored.has((path[0] as string).toLowerCase())) foreignRoots.push(path);
    else warn(path, 'not supported by Switchyard, ignored');
  }
  if (errors.length === 0) {
    const result = staticConfigurationSchema.safeParse(canonical);
    if (result.success) {
      const readsItself = fileProviderReads(result.data, options.file, options.cwd);
      for (const path of foreignRoots) {
        const key = path[0] as string;
        if (!DYNAMIC_ROOTS.has(key.toLowerCase())) warn(path, 'not a Traefik static configuration key, ignored');
        else if (!readsItself)
          warn(
            path,
            'dynamic configuration in the static file, ignored: the file provider does not read this file (set providers.file.filename to it)',
          );
      }
      for (const { path, message } of unhonouredSettings(result.data)) warn(path, message);
      return deepFreeze(withImplicitEntryPoints(result.data, locate));
    }
    for (const issue of result.error.issues) errors.push(describe(issue.path, issue.message, locate));
  }
  const first = errors[0] as { location: string };
  throw new ConfigError(errors.map((e) => e.text).join('; '), first.location);
}

/** The dynamic configuration's roots, which a static file may hold for the file provider. */
const DYNAMIC_ROOTS = new Set(['http', 'tcp', 'udp', 'tls']);

/** Whether the file provider reads the static file itself (its `filename`, relative to the working directory). */
function fileProviderReads(config: StaticConfiguration, file: string | undefined, cwd = process.cwd()): boolean {
  const filename = config.providers.file?.filename;
  if (file === undefined || filename === undefined || config.providers.file?.directory !== undefined) return false;
  return resolve(cwd, filename) === resolve(file);
}

function defaultEntryPoint(address: string): EntryPointConfig {
  return entryPointSchema.parse({ address });
}

/** Traefik's implicit entry points, and a check that internal services name existing ones. */
function withImplicitEntryPoints(config: StaticConfiguration, locate?: Locator): StaticConfiguration {
  const entryPoints = { ...config.entryPoints };
  if (Object.keys(entryPoints).length === 0) entryPoints.http = defaultEntryPoint(':80');
  const { api, ping } = config;
  const prometheus = config.metrics.prometheus;
  const needsInternal =
    api?.insecure === true ||
    (ping !== undefined && !ping.manualRouting && ping.entryPoint === 'traefik') ||
    (prometheus !== undefined && !prometheus.manualRouting && prometheus.entryPoint === 'traefik');
  if (needsInternal && entryPoints.traefik === undefined) entryPoints.traefik = defaultEntryPoint(':8080');
  const references: [string[], string | undefined][] = [
    [['ping', 'entryPoint'], ping?.manualRouting ? undefined : ping?.entryPoint],
    [['metrics', 'prometheus', 'entryPoint'], prometheus?.manualRouting ? undefined : prometheus?.entryPoint],
    ...Object.entries(config.certificatesResolvers).map(([name, { acme }]): [string[], string | undefined] => [
      ['certificatesResolvers', name, 'acme', 'httpChallenge', 'entryPoint'],
      acme.httpChallenge?.entryPoint,
    ]),
  ];
  for (const [path, name] of references) {
    if (name !== undefined && entryPoints[name] === undefined) {
      const { text, location } = describe(path, `unknown entry point ${JSON.stringify(name)}`, locate);
      throw new ConfigError(text, location);
    }
  }
  return { ...config, entryPoints };
}
