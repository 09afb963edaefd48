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

/**
 * Compiles a Host() argument into a test over normalised request hosts. `*` matches every host,
 * `*.suffix` exactly one non-empty label before the suffix, `**.suffix` one or more labels. A
 * port in the argument is kept, so such a rule never matches (as in Traefik).
 */
export function compileHostPattern(expression: string): (host: string) => boolean {
  let expected = expression.toLowerCase();
  if (expected === '*') return () => true;
  if (expected.endsWith('.')) expected = expected.slice(0, -1);
  if (expected.startsWith('**.')) {
    const suffix = expected.slice(2);
    return (host) => host.length > suffix.length && host.endsWith(suffix);
  }
  if (expected.startsWith('*.')) {
    const suffix = expected.slice(1);
    return (host) => {
      const labelEnd = host.length - suffix.length;
      return labelEnd > 0 && host.endsWith(suffix) && host.lastIndexOf('.', labelEnd - 1) === -1;
    };
  }
  return (host) => host === expected;
}
