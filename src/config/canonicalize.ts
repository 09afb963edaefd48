/**
 * Traefik reads keys case-insensitively (`traefik.http.routers.api.Rule`, `stripprefix.prefixes`,
 * `--entrypoints.web.address`). Before validation, this walks a value alongside a zod schema and
 * renames each object key to the schema's spelling when they differ only by case. Map keys
 * (router names, entry point names, header names) are left as they are.
 */
import type { ZodType } from 'zod';

type AnyDef = { type: string; [key: string]: unknown };

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } })?._zod?.def;
}

/** Follows wrappers (optional, default, pipe/transform, lazy…) down to the structural schema(s). */
function structural(schema: unknown, out: unknown[] = [], depth = 0): unknown[] {
  const def = defOf(schema);
  if (!def || depth > 20) return out;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return structural(def.innerType, out, depth + 1);
    case 'pipe':
      return structural(def.in, out, depth + 1);
    case 'lazy':
      return structural((def.getter as () => unknown)(), out, depth + 1);
    case 'union':
      for (const option of def.options as unknown[]) structural(option, out, depth + 1);
      return out;
    default:
      out.push(schema);
      return out;
  }
}

/** Returns a copy of `value` whose object keys use the schema's spelling (case-insensitive match). */
export function canonicalizeKeys(value: unknown, schema: ZodType | unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const candidates = structural(schema);
  if (Array.isArray(value)) {
    const arraySchema = candidates.find((s) => defOf(s)?.type === 'array');
    if (!arraySchema) return value;
    const element = defOf(arraySchema)?.element;
    return value.map((item) => canonicalizeKeys(item, element));
  }
  const objectSchema = candidates.find((s) => defOf(s)?.type === 'object');
  if (objectSchema) {
    const shape = defOf(objectSchema)?.shape as Record<string, unknown>;
    const byLower = new Map<string, string>();
    for (const key of Object.keys(shape)) byLower.set(key.toLowerCase(), key);
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const canonical = key in shape ? key : (byLower.get(key.toLowerCase()) ?? key);
      result[canonical] = canonicalizeKeys(child, shape[canonical]);
    }
    return result;
  }
  const recordSchema = candidates.find((s) => defOf(s)?.type === 'record');
  if (recordSchema) {
    const valueType = defOf(recordSchema)?.valueType;
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      result[key] = canonicalizeKeys(child, valueType);
    }
    return result;
  }
  return value;
}
