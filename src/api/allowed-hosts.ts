/**
 * The host names the API and dashboard answer to, against DNS rebinding: a page on
 * `evil.test` whose name is re-pointed to 127.0.0.1 becomes "same-origin" with a local
 * Switchyard, but its requests still carry `Host: evil.test`. `switchyard up` accepts local
 * names only unless told otherwise; plain `switchyard` (Traefik semantics) does not restrict.
 * Patterns follow the `Host()` rule matcher: exact names, `*.suffix` (one label), `**.suffix`
 * (one or more), `*` (any); IPv6 addresses may be written with brackets (`[::1]`).
 */
import { compileHostPattern } from '../rules/host.js';
import type { Refusal } from './request-guard.js';

/** The names every local browser uses for this machine, whatever the port. */
export const LOCAL_HOSTS: readonly string[] = ['localhost', '**.localhost', '127.0.0.1', '[::1]'];

/** A compiled list of allowed host names. */
export type HostFilter = (host: string) => boolean;

/** Compiles patterns into a filter over normalised hosts (lower-case, no port, no brackets). */
export function compileAllowedHosts(patterns: readonly string[]): HostFilter {
  const tests = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => compileHostPattern(p.startsWith('[') && p.endsWith(']') ? p.slice(1, -1) : p));
  return (host) => tests.some((test) => test(host));
}

/** Refuses (403) a request whose normalised host is not allowed; null when it is. */
export function hostRefusal(host: string, allowed: HostFilter, hint: string): Refusal | null {
  if (allowed(host)) return null;
  const shown = host === '' ? 'a request without a Host header' : `host ${JSON.stringify(host)}`;
  return {
    status: 403,
    message: `${shown} is not allowed to reach the API and dashboard (a guard against DNS rebinding); ${hint}`,
  };
}
