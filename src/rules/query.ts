/**
 * Query-string parsing with Go's `url.ParseQuery` semantics, which Traefik's Query matchers use:
 * pairs split on '&', '+' is a space, `%XX` decoded, and a pair that Go rejects (a ';' in it, or
 * a malformed escape) is skipped rather than failing the whole query.
 */

/** Parses a raw query string (no leading '?') into decoded values by decoded key. */
export function parseQuery(query: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  if (query === '') return result;
  for (const pair of query.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    const values = result.get(key);
    if (values === undefined) result.set(key, [value]);
    else values.push(value);
  }
  return result;
}

/** Decodes one key or value: '+' is a space, `%XX` a byte; undefined when an escape is malformed. */
function decodeQueryComponent(text: string): string | undefined {
  if (!text.includes('%')) return text.includes('+') ? text.replaceAll('+', ' ') : text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (code === 0x2b /* + */) {
      bytes.push(0x20);
    } else {
      const cp = text.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
