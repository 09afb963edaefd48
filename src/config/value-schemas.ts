/**
 * Leaf value schemas shared by the static configuration. Flags, environment variables and labels
 * deliver every value as a string, while YAML and TOML deliver native types, so each leaf accepts
 * both and says in its message what it expected.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { markBoolean } from './schema-walk.js';

function leaf<T>(expected: string, convert: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx): T => {
    const converted = convert(value);
    if (converted === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${JSON.stringify(value) ?? String(value)}` });
      return z.NEVER;
    }
    return converted;
  });
}

/** `true`/`false`, also as strings in any case (flags, env, labels). */
export const boolValue = markBoolean(
  leaf('true or false', (v) => {
    if (typeof v === 'boolean') return v;
    if (typeof v !== 'string') return undefined;
    const lower = v.trim().toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  }),
);

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A string; numbers are accepted and turned into strings (`statusCodes: [200]`). */
export const stringValue = leaf('a string', (v) =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined,
);

function splitList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (typeof v === 'number') return [v];
  return undefined;
}

/** A list of strings: a YAML/TOML list or a comma-separated string (flags, env, labels). */
export const stringList = leaf('a list of strings', (v) => {
  const items = splitList(v);
  if (!items?.every((i) => typeof i === 'string' || typeof i === 'number')) return undefined;
  return items.map(String);
});

/** A list of numbers: a YAML/TOML list or a comma-separated string. */
export const numberList = leaf('a list of numbers', (v) => {
  const numbers = splitList(v)?.map(toNumber);
  return numbers?.every((n) => n !== undefined) ? (numbers as number[]) : undefined;
});

/** A Go duration (`60s`, `1m30s`) or a number of seconds, in milliseconds. */
export const durationMs = leaf('a duration such as "10s" or "250ms"', parseDuration);

/** One of a fixed set of words, matched case-insensitively and returned in the listed spelling. */
export function wordValue<const T extends readonly string[]>(words: T) {
  return leaf<T[number]>(`one of ${words.join(', ')}`, (v) =>
    typeof v === 'string' ? words.find((w) => w.toLowerCase() === v.trim().toLowerCase()) : undefined,
  );
}

/**
 * An integer, also as a decimal string (labels), within optional bounds. An empty or non-numeric
 * string is an error, never 0 (`weight: ""` must not silently take a server out of rotation).
 */
export function integerValue(min?: number, max?: number) {
  const bounds =
    min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : '';
  return leaf(`an integer${bounds}`, (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n)) return undefined;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return undefined;
    return n;
  });
}

/** A non-negative integer, also as a string. */
export const countValue = integerValue(0);
