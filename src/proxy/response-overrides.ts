/**
 * The middlewares' response headers (`ctx.responseHeaders`, set by `headers`, sticky cookies…)
 * applied to a server's answer: one rule for plain responses, declined upgrades and 101s.
 */

/** Upstream response headers plus the middlewares' additions, as a raw list. */
export function withOverrides(headers: string[], overrides: Array<[string, string]>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (isOverridden(overrides, name.toLowerCase())) continue;
    out.push(name, headers[i + 1] as string);
  }
  for (const [name, value] of overrides) if (value !== '') out.push(name, value);
  return out;
}

function isOverridden(overrides: Array<[string, string]>, lower: string): boolean {
  // Vary accumulates (a CORS middleware adds `Origin` to what the server varies on).
  if (lower === 'vary') return false;
  for (const [name, value] of overrides) {
    // Set-Cookie may repeat: a sticky cookie adds to the server's cookies instead of replacing
    // them (an empty value still removes them).
    if (name.toLowerCase() === lower && (value === '' || lower !== 'set-cookie')) return true;
  }
  return false;
}
