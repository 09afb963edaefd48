/**
 * Compose's variable interpolation, applied to every string of the file before it is read:
 * `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` / `${VAR?message}` (required), and `$$` for a literal `$`. The same file then
 * means the same thing to `docker compose` and to `switchyard up`.
 */
import { ConfigError } from '../../errors.js';

const PATTERN = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Interpolates one string; unset variables without a default become '' and are reported in `unset`. */
export function interpolateString(
  text: string,
  env: Record<string, string | undefined>,
  unset: Set<string>,
  location?: string,
): string {
  return text.replace(PATTERN, (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const missing = operator?.startsWith(':') ? value === undefined || value === '' : value === undefined;
    if (operator === undefined) {
      if (value === undefined) unset.add(name);
      return value ?? '';
    }
    if (!missing) return value as string;
    if (operator.endsWith('?')) {
      throw new ConfigError(`required variable ${name} is not set${argument ? `: ${argument}` : ''}`, location);
    }
    return argument ?? '';
  });
}

/** Interpolates every string in a parsed YAML tree (keys are left alone, as compose does). */
export function interpolateTree(
  value: unknown,
  env: Record<string, string | undefined>,
  unset: Set<string>,
  location?: string,
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, unset, location);
  if (Array.isArray(value)) return value.map((item) => interpolateTree(item, env, unset, location));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, env, unset, location);
    return out;
  }
  return value;
}
