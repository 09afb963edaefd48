/**
 * Validates a provider's dynamic configuration object by object. Configuration errors are data:
 * a router, service, middleware or servers transport that fails validation is left out of the
 * result and reported as a ConfigIssue on its path, and everything else keeps working. The
 * `tcp`, `udp` and `tls` sections are validated the same way, for shape only (objects by name).
 */

import type { ConfigIssue } from '../core/config-issue.js';
import { canonicalizeKeys } from './canonicalize.js';
import { type Locator, parseConfigText } from './config-file.js';
import {
  type DynamicConfiguration,
  dynamicConfigurationSchema,
  middlewareSchema,
  pendingObjectSchema,
  routerSchema,
  serversTransportSchema,
  serviceSchema,
} from './dynamic-schema.js';
import { deepFreeze } from './freeze.js';
import { formatKeyPath } from './labels.js';
import { normalizeForSchema, unknownKeys } from './schema-walk.js';
import { IGNORED_TRAEFIK_KEYS, staticConfigurationSchema } from './static-schema.js';
import { tlsOptionsSchema, tlsStoreSchema } from './tls-schema.js';

/** Options of validateDynamicConfiguration. */
export interface DynamicValidateOptions {
  /** Turns a key path into a human location (`file:line:column`, `container web-1`). */
  locate?: (path: (string | number)[]) => string | undefined;
  /**
   * Root keys other than the dynamic ones (`entryPoints`, `providers`, a typo…): `ignore` when
   * the file is also the static configuration file (Traefik's fixtures keep both in one file;
   * the static loader reads and reports those keys), else `warn` (default), naming each.
   */
  staticRoots?: 'ignore' | 'warn';
}

/** The valid part of a configuration (frozen) and the problems found in the rest. */
export interface DynamicValidationResult {
  config: DynamicConfiguration;
  issues: ConfigIssue[];
}

type Section = readonly [section: string, kind: string, schema: { safeParse: typeof routerSchema.safeParse }];

/** The named sections of each root, with what one object is called in messages and its schema. */
const SECTIONS: Record<string, readonly Section[]> = {
  http: [
    ['routers', 'router', routerSchema],
    ['services', 'service', serviceSchema],
    ['middlewares', 'middleware', middlewareSchema],
    ['serversTransports', 'servers transport', serversTransportSchema],
  ],
  tcp: [
    ['routers', 'TCP router', pendingObjectSchema],
    ['services', 'TCP service', pendingObjectSchema],
    ['middlewares', 'TCP middleware', pendingObjectSchema],
    ['serversTransports', 'TCP servers transport', pendingObjectSchema],
  ],
  udp: [
    ['routers', 'UDP router', pendingObjectSchema],
    ['services', 'UDP service', pendingObjectSchema],
  ],
  tls: [
    ['options', 'TLS options', tlsOptionsSchema],
    ['stores', 'TLS store', tlsStoreSchema],
  ],
};

/** The list-shaped sections of a root (a list of mappings, not objects by name), with the message when one is not. */
const LIST_SECTIONS: Record<string, readonly (readonly [section: string, problem: string])[]> = {
  tls: [['certificates', 'certificates must be a list of mappings (certFile, keyFile, stores)']],
};

/** The static configuration's root keys (Traefik's and Switchyard's), any case. */
const STATIC_ROOTS = new Set(
  [...Object.keys(staticConfigurationSchema.shape), ...IGNORED_TRAEFIK_KEYS].map((key) => key.toLowerCase()),
);

/** `a, b and c`. */
function listWords(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates each router, service, middleware and servers transport on its own (keys in any case,
 * string leaves from labels accepted); bad objects are dropped and reported, never thrown.
 */
export function validateDynamicConfiguration(
  raw: unknown,
  options: DynamicValidateOptions = {},
): DynamicValidationResult {
  const issues: ConfigIssue[] = [];
  const issue = (
    path: string[],
    message: string,
    detail: (string | number)[] = [],
    severity: ConfigIssue['severity'] = 'error',
  ) => {
    const location = options.locate?.([...path, ...detail]) ?? options.locate?.(path);
    issues.push(location === undefined ? { path, message, severity } : { path, message, location, severity });
  };
  if (raw === null || raw === undefined) return { config: deepFreeze({}), issues };
  if (!isPlainObject(raw)) {
    issue([], 'the dynamic configuration must be a mapping of keys to values');
    return { config: deepFreeze({}), issues };
  }
  const canonical = canonicalizeKeys(
    normalizeForSchema(raw, dynamicConfigurationSchema),
    dynamicConfigurationSchema,
  ) as Record<string, unknown>;
  for (const path of unknownKeys(canonical, dynamicConfigurationSchema)) {
    // In the static file itself, the static loader reports its root keys (known or not).
    if (path.length === 1 && options.staticRoots === 'ignore') continue;
    if (path.length === 1 && STATIC_ROOTS.has((path[0] as string).toLowerCase())) {
      issue(path, `${path[0]}: a static configuration key, ignored in a dynamic configuration file`, [], 'warning');
      continue;
    }
    // The whole key path, so `observability` on one router can be found among many.
    issue(path, `${formatKeyPath(path)}: unknown key or not supported by Switchyard, ignored`, [], 'warning');
  }

  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(canonical)) if (SECTIONS[key] === undefined) config[key] = value;
  for (const [root, sections] of Object.entries(SECTIONS)) {
    const value = canonical[root];
    if (value === undefined) continue;
    const lists = LIST_SECTIONS[root] ?? [];
    const names = [...lists.map(([section]) => section), ...sections.map(([section]) => section)];
    if (!isPlainObject(value)) {
      issue([root], `${root} must be a mapping of ${listWords(names)}`);
      continue;
    }
    const validRoot: Record<string, unknown> = {};
    for (const [section, kind, schema] of sections) {
      const objects = value[section];
      if (objects === undefined) continue;
      if (!isPlainObject(objects)) {
        issue([root, section], `${section} must be a mapping of names to ${kind} definitions`);
        continue;
      }
      const valid: Record<string, unknown> = {};
      for (const [name, definition] of Object.entries(objects)) {
        const result = schema.safeParse(definition);
        if (result.success) {
          valid[name] = result.data;
          continue;
        }
        const problems = result.error.issues.map((i) => {
          const field = formatKeyPath(i.path.filter((p): p is string | number => typeof p !== 'symbol'));
          return field === '' ? i.message : `${field}: ${i.message}`;
        });
        const first = result.error.issues[0]?.path.filter((p): p is string | number => typeof p !== 'symbol') ?? [];
        issue([root, section, name], `${kind} ${JSON.stringify(name)}: ${problems.join('; ')}`, first);
      }
      validRoot[section] = valid;
    }
    for (const [section, problem] of lists) {
      const items = value[section];
      if (items === undefined) continue;
      if (Array.isArray(items) && items.every(isPlainObject)) validRoot[section] = items;
      else issue([root, section], problem);
    }
    config[root] = validRoot;
  }
  return { config: deepFreeze(config as DynamicConfiguration), issues };
}

/**
 * Parses a dynamic configuration file (YAML or TOML by extension) and validates it; syntax errors
 * throw ConfigParseError with `file:line:column`, validation issues carry the offending key's position.
 */
export function parseDynamicFile(text: string, fileName: string): DynamicValidationResult {
  const parsed = parseConfigText(text, fileName);
  const locate: Locator = parsed.locate;
  return validateDynamicConfiguration(parsed.value, { locate: (path) => locate(path) });
}
