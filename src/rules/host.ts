/**
 * Host normalisation and the Host matcher's comparison. Both sides are compared in one canonical
 * form: lower-case, no port, no IPv6 brackets, no trailing dot.
 */

/** Canonical request host: port and IPv6 brackets stripped, trimmed, lower-cased, trailing dot dropped. */
export function normalizeHost(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return '';
  let host = hostHeader.trim();
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    // '[::1]:8080' or '[::1]'; a missing ']' is malformed and is kept as written.
    if (close !== -1) host = host.slice(1, close);
  } else {
    const colon = host.indexOf(':');
    // Exactly one colon is host:port; several colons is a bare IPv6 address with no port.
    if (colon !== -1 && host.indexOf(':', colon + 1) === -1) host = host.slice(0, colon);
  }
  if (host.charCodeAt(host.length - 1) === 0x2e /* . */) host = host.slice(0, -1);
  return host.toLowerCase();
}

/** How a Host() argument compares with a normalised request host. */
export type HostPattern =
  | { kind: 'any' }
  | { kind: 'exact'; host: string }
  /** `*.suffix`: exactly one non-empty label before `.suffix`. */
  | { kind: 'one-label'; suffix: string }
  /** `**.suffix`: one or more labels before `.suffix`. */
  | { kind: 'any-labels'; suffix: string };

/** Compiles a Host() argument; a port in it is kept, so it never matches (as in Traefik). */
export function compileHostPattern(expression: string): HostPattern {
  let host = expression.toLowerCase();
  if (host === '*') return { kind: 'any' };
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('**.')) return { kind: 'any-labels', suffix: host.slice(2) };
  if (host.startsWith('*.')) return { kind: 'one-label', suffix: host.slice(1) };
  return { kind: 'exact', host };
}

/** Whether a normalised request host satisfies a compiled Host() pattern. */
export function hostMatches(pattern: HostPattern, host: string): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'exact':
      return host === pattern.host;
    case 'any-labels':
      return host.length > pattern.suffix.length && host.endsWith(pattern.suffix);
    case 'one-label': {
      const labelEnd = host.length - pattern.suffix.length;
      return labelEnd > 0 && host.endsWith(pattern.suffix) && host.lastIndexOf('.', labelEnd - 1) === -1;
    }
  }
}
