/**
 * Local plugins written in JavaScript (docs/plugins.md): `experimental.localPlugins.<name>`
 * names a module in `plugins-local/src/<moduleName>/` (its package.json `main`, else
 * `index.js`), loaded once at start-up, as Traefik loads its local Go plugins. Loading is
 * asynchronous (`import()`) and middlewares are built synchronously, so every process that
 * builds routing tables (the primary and each worker) loads them before its first build and
 * the `plugin` middleware looks them up here. A plugin that fails to load is kept with its
 * error: the middlewares using it are in error, the rest of the process runs.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../core/logger.js';

/** A Node-style request handler, as a plugin's `create` returns it. */
export type PluginHandler = (req: unknown, res: unknown) => unknown;

/** What a plugin module exports. */
export interface PluginModule {
  createConfig?: () => unknown;
  create: (next: PluginHandler, config: Record<string, unknown>, name: string) => unknown;
}

/** A declared local plugin: loaded, or in error. */
export type LoadedPlugin =
  | { readonly name: string; readonly file: string; readonly module: PluginModule; readonly error?: undefined }
  | { readonly name: string; readonly file: string; readonly module?: undefined; readonly error: string };

const plugins = new Map<string, LoadedPlugin>();
let pluginLogger: Logger | null = null;

/** The plugin declared as `name` (exact, else case-insensitive: labels lower-case keys), or undefined. */
export function findPlugin(name: string): LoadedPlugin | undefined {
  const exact = plugins.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, plugin] of plugins) if (key.toLowerCase() === lower) return plugin;
  return undefined;
}

/** Names of the declared plugins, for error messages. */
export function declaredPlugins(): string[] {
  return [...plugins.keys()];
}

/** Where plugins log what they throw per request. */
export function pluginLog(): Logger | null {
  return pluginLogger;
}

/** The entry file of `moduleName` under `<base>/plugins-local/src/`, refusing paths that leave it. */
export async function pluginEntryFile(base: string, moduleName: string): Promise<string> {
  const root = resolve(base, 'plugins-local', 'src');
  if (moduleName.trim() === '' || isAbsolute(moduleName))
    throw new Error(`invalid moduleName ${JSON.stringify(moduleName)}`);
  const dir = resolve(root, normalize(moduleName));
  if (!dir.startsWith(root + sep)) throw new Error(`moduleName ${JSON.stringify(moduleName)} leaves plugins-local/src`);
  let main = 'index.js';
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { main?: unknown };
    if (typeof manifest.main === 'string' && manifest.main.trim() !== '') main = manifest.main;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`reading ${join(dir, 'package.json')}: ${(error as Error).message}`);
    }
  }
  const file = resolve(dir, main);
  if (!file.startsWith(dir + sep))
    throw new Error(`package.json main ${JSON.stringify(main)} leaves the plugin's folder`);
  return file;
}

async function loadOne(name: string, moduleName: string, base: string): Promise<LoadedPlugin> {
  let file = join(base, 'plugins-local', 'src', moduleName);
  try {
    file = await pluginEntryFile(base, moduleName);
    const loaded = (await import(pathToFileURL(file).href)) as Partial<PluginModule> & {
      default?: Partial<PluginModule>;
    };
    // An ES module exports them by name; a CommonJS one arrives as `default`.
    const module = typeof loaded.create === 'function' ? loaded : loaded.default;
    if (module === undefined || typeof module.create !== 'function') {
      throw new Error('the module does not export a create(next, config, name) function');
    }
    if (module.createConfig !== undefined && typeof module.createConfig !== 'function') {
      throw new Error('createConfig is exported but is not a function');
    }
    return { name, file, module: module as PluginModule };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, file, error: `plugin ${JSON.stringify(name)} (${file}) failed to load: ${message}` };
  }
}

/**
 * Loads the declared local plugins, relative to `base` (the working directory), replacing
 * what was loaded before. Never throws: failures are kept, logged, and reported where used.
 */
export async function loadLocalPlugins(
  declared: Readonly<Record<string, { moduleName: string }>>,
  base: string,
  logger: Logger,
): Promise<void> {
  pluginLogger = logger;
  const entries = Object.entries(declared);
  const results = await Promise.all(entries.map(([name, { moduleName }]) => loadOne(name, moduleName, base)));
  plugins.clear();
  for (const plugin of results) {
    plugins.set(plugin.name, plugin);
    if (plugin.error !== undefined) logger.error({ plugin: plugin.name }, plugin.error);
    else logger.info({ plugin: plugin.name, file: plugin.file }, 'local plugin loaded');
  }
}
