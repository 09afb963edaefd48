/**
 * Traefik reads keys case-insensitively (`traefik.http.routers.api.Rule`, `stripprefix.prefixes`,
 * `--entrypoints.web.address`). Before validation, this walks a value alongside a zod schema and
 * renames each object key to the schema's spelling when they differ only by case. Map keys
 * (router names, entry point names, header names) are left as they are.
 */
import type { ZodType } from 'zod';
import { findKind } from './schema-walk.js';

/** Returns a copy of `value` whose object keys use the schema's spelling (case-insensitive match). */
export function canonicalizeKeys(value: unknown, schema: ZodType | unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const array = findKind(schema, 'array');
    return array === undefined ? value : value.map((item) => canonicalizeKeys(item, array.element));
  }
  const object = findKind(schema, 'object');
  if (object !== undefined) {
    const shape = object.shape as Record<string, unknown>;
    const byLower = new Map<string, string>();
    for (const key of Object.keys(shape)) byLower.set(key.toLowerCase(), key);
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const canonical = key in shape ? key : (byLower.get(key.toLowerCase()) ?? key);
      result[canonical] = canonicalizeKeys(child, shape[canonical]);
    }
    return result;
  }
  const record = findKind(schema, 'record');
  if (record === undefined) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    result[key] = canonicalizeKeys(child, record.valueType);
  }
  return result;
}
