/**
 * Traefik's name normalisation: every run of characters that are neither letters nor digits
 * becomes one `-`, and none is kept at either end (`/proj_web.1` → `proj-web-1`). Used for
 * default service names and by the `normalize` function of the default-rule template.
 */

const NOT_ALPHANUMERIC = /[^\p{L}\p{N}]+/u;

/** Normalises a name the way Traefik's `provider.Normalize` does. */
export function normalizeName(name: string): string {
  return name
    .split(NOT_ALPHANUMERIC)
    .filter((part) => part !== '')
    .join('-');
}
