/**
 * Option types shared by the middleware schemas. Values arrive from YAML/TOML (typed) and from
 * Docker labels or CLI flags (always strings, lists comma-separated), so each type accepts both.
 * Flags and integers are config/value-schemas.ts's `boolValue` and `integerValue()`, as
 * everywhere in the configuration.
 */
import { z } from 'zod';
import { compileGoRegexp } from './go-regexp.js';

/**
 * A list of strings: a YAML/TOML list, or a comma-separated string as labels write it. Stricter
 * than the configuration's `stringList` (value-schemas.ts): a number in the list is an error.
 */
export const stringList = z
  .union([z.array(z.string()), z.string()], { error: 'expected a list of strings or a comma-separated string' })
  .transform((value) =>
    Array.isArray(value)
      ? value
      : value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
  );

/** A map of header name to value; labels give the values as strings, YAML may give numbers. */
export const headerMap = z.record(
  // Checked now because node would otherwise throw on the first request that carries them.
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'invalid header name'),
  z
    .union([z.string(), z.number(), z.boolean()], { error: 'expected a string' })
    .transform((value) => String(value))
    .refine((value) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(value), 'control characters are not allowed in a header value'),
);

/**
 * A Go (RE2) regular expression for replacements, compiled once at validation so a bad one is a
 * config error: trimmed, and global (every match is replaced, as in Go).
 */
export const goReplaceRegexp = z.string().transform((source, ctx) => {
  try {
    return compileGoRegexp(source.trim(), { global: true });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
    return z.NEVER;
  }
});

/** Key path of a middleware option in the dynamic configuration, for error messages. */
export function optionPath(name: string, type: string, field?: string): string {
  return field === undefined || field === ''
    ? `http.middlewares.${name}.${type}`
    : `http.middlewares.${name}.${type}.${field}`;
}

/** Thrown by a middleware's build for a fault in one option; the registry adds the key path. */
export class OptionError extends Error {
  /** The option, relative to the middleware type (`middlewares`, `regex.0`). */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'OptionError';
    this.field = field;
  }
}
