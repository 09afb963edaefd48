/**
 * Reads the file provider's configuration: one file, or every `*.yml|*.yaml|*.toml` of a
 * directory (not recursive), merged into one snapshot. As in Traefik, an object name defined in
 * two files keeps the first definition (files in name order); the duplicate is reported as a
 * warning on that object rather than disabling it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { configFormat, parseConfigText } from '../../config/config-file.js';
import type { DynamicConfiguration } from '../../config/dynamic-schema.js';
import { validateDynamicConfiguration } from '../../config/dynamic-validate.js';
import { deepFreeze } from '../../config/freeze.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import { ConfigParseError, ProviderError } from '../../errors.js';
import type { ProviderSnapshot } from '../provider.js';
import { renderFileTemplate } from './render-template.js';

/** What to read: `directory` wins when both are set, as in Traefik. */
export interface FileSource {
  filename?: string;
  directory?: string;
  /** The static configuration's file (absolute), which may be one of these (a combined file). */
  staticFile?: string;
}

/** One configuration file, read and validated (not merged). */
export interface LoadedFile {
  file: string;
  config: DynamicConfiguration;
  issues: ConfigIssue[];
  locate: (path: (string | number)[]) => string | undefined;
  /** The text after template rendering, when the file held `{{` (for debugLogGeneratedTemplate). */
  rendered?: string;
}

/**
 * Reads, renders (Go template, as Traefik does) and validates one dynamic configuration file.
 * Throws ConfigParseError (with `file:line:column`: a template fault, a syntax error, an
 * unsupported extension) and ProviderError when it cannot be read.
 */
export async function loadConfigFile(file: string, options: { staticFile?: string } = {}): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ProviderError(`cannot read ${file}: ${(error as Error).message}`, file, error);
  }
  const template = await renderFileTemplate(text, file);
  let parsed: ReturnType<typeof parseConfigText>;
  try {
    parsed = parseConfigText(template.text, file);
  } catch (error) {
    // Positions then point into the rendered text, not the source: say so.
    if (template.rendered && error instanceof ConfigParseError) {
      throw new ConfigParseError(`${error.message} (position in the rendered template)`, error.location, error);
    }
    throw error;
  }
  // A file that is also the static configuration holds static keys the static loader reads.
  const staticRoots =
    options.staticFile !== undefined && resolve(file) === resolve(options.staticFile) ? 'ignore' : 'warn';
  const { config, issues } = validateDynamicConfiguration(parsed.value, { locate: parsed.locate, staticRoots });
  const loaded: LoadedFile = { file, config, issues, locate: parsed.locate };
  if (template.rendered) loaded.rendered = template.text;
  return loaded;
}

/** The configuration files of a directory, in name order (hidden files and editor leftovers skipped). */
export async function listConfigFiles(directory: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw new ProviderError(`cannot read directory ${directory}: ${(error as Error).message}`, directory, error);
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && configFormat(e.name) !== undefined)
    .map((e) => e.name)
    .sort()
    .map((name) => join(directory, name));
}

/** What one object of a named section is called in the duplicate warning. */
const KINDS: Record<string, string> = {
  'http.routers': 'router',
  'http.services': 'service',
  'http.middlewares': 'middleware',
  'http.serversTransports': 'servers transport',
  'tcp.routers': 'TCP router',
  'tcp.services': 'TCP service',
  'tcp.middlewares': 'TCP middleware',
  'tcp.serversTransports': 'TCP servers transport',
  'udp.routers': 'UDP router',
  'udp.services': 'UDP service',
  'tls.options': 'TLS options',
  'tls.stores': 'TLS store',
};

/** The roots whose sections hold objects by name (merged name by name across files). */
const ROOTS = ['http', 'tcp', 'udp', 'tls'];

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges per-file configurations (in the order given) into the file provider's snapshot; the
 * first definition of a name wins and each later one is reported as a warning. TLS
 * certificates, a list, are concatenated.
 */
export function mergeConfigFiles(files: LoadedFile[]): ProviderSnapshot {
  const issues: ConfigIssue[] = [];
  const merged: Record<string, unknown> = {};
  const roots: Record<string, Record<string, unknown>> = {};
  const certificates: unknown[] = [];
  // Each object's position, shown with what is said about it later (a bad rule, "not implemented").
  const origins: Record<string, string> = {};
  const firstFile = new Map<string, string>();
  for (const loaded of files) {
    issues.push(...loaded.issues);
    for (const [key, value] of Object.entries(loaded.config)) {
      if (!ROOTS.includes(key) && !(key in merged)) merged[key] = value;
    }
    for (const root of ROOTS) {
      const sections = (loaded.config as Record<string, unknown>)[root];
      if (!isMapping(sections)) continue;
      const into = roots[root] ?? {};
      roots[root] = into;
      for (const [section, objects] of Object.entries(sections)) {
        if (root === 'tls' && section === 'certificates') {
          if (!Array.isArray(objects)) continue;
          objects.forEach((certificate, index) => {
            const location = loaded.locate([root, section, index]);
            if (location !== undefined) origins[`tls.certificates.${certificates.length}`] = location;
            certificates.push(certificate);
          });
          continue;
        }
        if (!isMapping(objects)) continue;
        const target = (into[section] ?? {}) as Record<string, unknown>;
        into[section] = target;
        for (const [name, definition] of Object.entries(objects)) {
          const path = [root, section, name];
          const id = path.join('\u0000');
          const first = firstFile.get(id);
          if (first === undefined) {
            firstFile.set(id, loaded.file);
            target[name] = definition;
            const location = loaded.locate(path);
            if (location !== undefined) origins[path.join('.')] = location;
            continue;
          }
          const location = loaded.locate(path);
          const kind = KINDS[`${root}.${section}`] ?? section;
          const message = `${kind} ${JSON.stringify(name)} is also defined in ${loaded.file}; the definition in ${first} is used`;
          issues.push(
            location === undefined
              ? { path, message, severity: 'warning' }
              : { path, message, location, severity: 'warning' },
          );
        }
      }
    }
  }
  if (certificates.length > 0) roots.tls = { ...roots.tls, certificates };
  for (const [root, sections] of Object.entries(roots)) {
    if (Object.keys(sections).length > 0) merged[root] = sections;
  }
  return { provider: 'file', config: deepFreeze(merged as DynamicConfiguration), issues, origins };
}

/**
 * Loads the file provider's snapshot. Throws ConfigParseError (with `file:line:column`) when a
 * file does not parse, ProviderError when a file or the directory cannot be read.
 */
export async function loadFileSnapshot(
  source: FileSource,
  onRendered?: (file: string, text: string) => void,
): Promise<ProviderSnapshot> {
  let files: string[];
  if (source.directory !== undefined) files = await listConfigFiles(source.directory);
  else if (source.filename !== undefined) files = [source.filename];
  else throw new ProviderError('the file provider needs a filename or a directory');
  const loaded = await Promise.all(files.map((file) => loadConfigFile(file, source)));
  if (onRendered) for (const f of loaded) if (f.rendered !== undefined) onRendered(f.file, f.rendered);
  return mergeConfigFiles(loaded);
}
