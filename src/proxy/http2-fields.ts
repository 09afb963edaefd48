/**
 * Header fields as an HTTP/2 answer may carry them. Node's HTTP/2 layer throws on what HTTP/1.1
 * allows and HTTP/2 does not — connection-specific fields (RFC 9113 §8.2.2) and a second value
 * of a field it knows to be single-valued (ETag, Content-Type, Location…) — and it throws late,
 * from inside its own callbacks for trailers. A server's sloppy answer must cost nothing, so
 * everything that goes to an HTTP/2 client passes through here first: forbidden fields are
 * dropped, single-valued ones keep their first value (what a browser would use anyway).
 */

/** Fields HTTP/2 forbids (connection-specific), lower-case. */
export const HTTP2_FORBIDDEN: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Fields Node's HTTP/2 layer accepts once only (its `kSingleValueHeaders`, pseudo-headers aside). */
const SINGLE_VALUE: ReadonlySet<string> = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

type FieldValue = string | number | readonly string[];

/** A raw name/value list as a fields object an HTTP/2 answer accepts (names lower-cased). */
export function http2FieldsFromList(list: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = (list[i] as string).toLowerCase();
    if (HTTP2_FORBIDDEN.has(name) || name.charCodeAt(0) === 58 /* ':' */) continue;
    const value = list[i + 1] as string;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (SINGLE_VALUE.has(name)) continue;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

/**
 * The same for a fields object (`writeHead`, `addTrailers`), or the object itself when nothing
 * needs changing (the common case costs one loop over the names, no copy).
 */
export function http2FieldsFromObject<T extends Record<string, FieldValue | undefined>>(fields: T): T {
  let out: Record<string, FieldValue | undefined> | null = null;
  for (const name of Object.keys(fields)) {
    const lower = name.toLowerCase();
    const value = fields[name];
    if (HTTP2_FORBIDDEN.has(lower)) {
      out ??= { ...fields };
      delete out[name];
    } else if (Array.isArray(value) && SINGLE_VALUE.has(lower)) {
      out ??= { ...fields };
      out[name] = value[0];
    }
  }
  return (out ?? fields) as T;
}

/** A value given to `setHeader` for `name`, as HTTP/2 accepts it (null: not at all). */
export function http2Value(name: string, value: FieldValue): FieldValue | null {
  const lower = name.toLowerCase();
  if (HTTP2_FORBIDDEN.has(lower)) return null;
  return Array.isArray(value) && SINGLE_VALUE.has(lower) ? (value[0] as string) : value;
}
