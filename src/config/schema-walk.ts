/**
 * Walks a raw configuration tree alongside a zod schema. Flags, environment variables and labels
 * only carry strings, and YAML/TOML sections are often written empty (`ping:`, `[providers.docker]`),
 * so before validation the tree is reshaped the way Traefik's decoder does: an object-valued key set
 * to `true` (or left empty) means "enabled with defaults", `false` means "absent", and objects whose
 * keys are all indices (`servers.0.url`, `SERVERS_0_URL`) become arrays where the schema wants one.
 */
import type { ZodType } from 'zod';

type AnyDef = { type: string; [key: string]: unknown };

/** Leaf schemas that read as on/off switches: a bare `--flag` never consumes the next argument. */
const booleanLeaves = new WeakSet<object>();

/** Marks a leaf schema as boolean-like so that `--key` without a value means `true`. */
export function markBoolean<T extends ZodType>(schema: T): T {
  booleanLeaves.add(schema);
  return schema;
}

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } })?._zod?.def;
}

/** Every schema met while unwrapping wrappers (optional, default, pipe…), wrappers included. */
function unwrap(schema: unknown, out: unknown[] = [], depth = 0): unknown[] {
  const def = defOf(schema);
  if (!def || depth > 20) return out;
  out.push(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return unwrap(def.innerType, out, depth + 1);
    case 'pipe':
      return unwrap(def.in, out, depth + 1);
    case 'lazy':
      return unwrap((def.getter as () => unknown)(), out, depth + 1);
    case 'union':
      for (const option of def.options as unknown[]) unwrap(option, out, depth + 1);
      return out;
    default:
      return out;
  }
}

/** The definition of the first schema of kind `type` (object, record, array…) under the wrappers. */
export function findKind(schema: unknown, type: string): AnyDef | undefined {
  for (const s of unwrap(schema)) {
    const def = defOf(s);
    if (def?.type === type) return def;
  }
  return undefined;
}

/** The schema's own spelling of `key` when it is an object field (case-insensitive), else undefined. */
export function fieldName(schema: unknown, key: string): string | undefined {
  const shape = findKind(schema, 'object')?.shape as Record<string, unknown> | undefined;
  if (!shape) return undefined;
  if (key in shape) return key;
  const lower = key.toLowerCase();
  return Object.keys(shape).find((k) => k.toLowerCase() === lower);
}

/** The schema of `schema`'s child `key`: object field (case-insensitive), record value or array element. */
export function childSchema(schema: unknown, key: string | number): unknown {
  const object = findKind(schema, 'object');
  if (object && typeof key === 'string') {
    const name = fieldName(schema, key);
    return name === undefined ? undefined : (object.shape as Record<string, unknown>)[name];
  }
  const record = findKind(schema, 'record');
  if (record) return record.valueType;
  const array = findKind(schema, 'array');
  if (array && (typeof key === 'number' || /^\d+$/.test(key))) return array.element;
  return undefined;
}

/** The schema found by following `path` from `schema`, or undefined when the path leaves it. */
export function schemaAt(schema: unknown, path: readonly (string | number)[]): unknown {
  let current = schema;
  for (const key of path) {
    current = childSchema(current, key);
    if (current === undefined) return undefined;
  }
  return current;
}

/** True when the schema is an on/off switch or a section that `--key` alone enables. */
export function isSwitch(schema: unknown): boolean {
  return unwrap(schema).some((s) => booleanLeaves.has(s as object) || defOf(s)?.type === 'object');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

function isFalse(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false');
}

/**
 * Returns a reshaped copy of `value` (see the file comment). Keys the schema does not know are
 * kept as they are; validation or the unknown-key report deals with them.
 */
export function normalizeForSchema(value: unknown, schema: unknown): unknown {
  if (schema === undefined) return value;
  const object = findKind(schema, 'object');
  const record = findKind(schema, 'record');
  const array = findKind(schema, 'array');
  if (value === null && (object || record)) return {};
  // `servers: {}`, `servers:` and TOML's empty `[…servers]` table: an empty list, as Traefik reads them.
  if (array && !object && !record && (value === null || (isPlainObject(value) && Object.keys(value).length === 0)))
    return [];
  if (object && !isPlainObject(value)) {
    if (isTrue(value)) return {};
    if (isFalse(value)) return undefined;
  }
  if (array && isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      const items = keys
        .map((k) => [Number(k), value[k]] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, item]) => item);
      return items.map((item) => normalizeForSchema(item, array.element));
    }
  }
  if (Array.isArray(value)) {
    return array ? value.map((item) => normalizeForSchema(item, array.element)) : value;
  }
  if (isPlainObject(value) && (object || record)) {
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const normalized = normalizeForSchema(child, childSchema(schema, key));
      if (normalized !== undefined) result[key] = normalized;
    }
    return result;
  }
  return value;
}

/** Paths of object keys in `value` (already canonicalised) that the schema's objects do not declare. */
export function unknownKeys(value: unknown, schema: unknown, path: string[] = []): string[][] {
  if (schema === undefined) return [];
  const out: string[][] = [];
  if (Array.isArray(value)) {
    const array = findKind(schema, 'array');
    if (array) {
      value.forEach((item, i) => {
        out.push(...unknownKeys(item, array.element, [...path, String(i)]));
      });
    }
    return out;
  }
  if (!isPlainObject(value)) return out;
  const object = findKind(schema, 'object');
  const record = findKind(schema, 'record');
  for (const [key, child] of Object.entries(value)) {
    if (object) {
      const shape = object.shape as Record<string, unknown>;
      if (!(key in shape)) out.push([...path, key]);
      else out.push(...unknownKeys(child, shape[key], [...path, key]));
    } else if (record) {
      out.push(...unknownKeys(child, record.valueType, [...path, key]));
    }
  }
  return out;
}
