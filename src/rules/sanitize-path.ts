/**
 * The request path as routing sees it and the server receives it, cleaned the way Traefik does
 * before routing: encoded characters that change a path's meaning are refused, unreserved
 * escapes are decoded (`%41` is `A`, `%2e` is `.`), the others are upper-cased, then dot segments
 * are removed (RFC 3986 §5.2.4) and duplicate slashes merged. Without it `/x/../admin` or
 * `/%2e%2e/admin` would be matched by a `PathPrefix(`/`)` router while the server resolves it to
 * `/admin` — a way around any rule that protects `/admin`.
 */

/** Encoded characters refused in a request path unless allowed (Traefik's `encodedCharacters` keys). */
export const ENCODED_CHARACTERS = {
  allowEncodedSlash: { bit: 1, hex: '2F' },
  allowEncodedBackSlash: { bit: 2, hex: '5C' },
  allowEncodedNullCharacter: { bit: 4, hex: '00' },
  allowEncodedSemicolon: { bit: 8, hex: '3B' },
  allowEncodedPercent: { bit: 16, hex: '25' },
  allowEncodedQuestionMark: { bit: 32, hex: '3F' },
  allowEncodedHash: { bit: 64, hex: '23' },
} as const;

/** The option names of ENCODED_CHARACTERS. */
export type EncodedCharacterOption = keyof typeof ENCODED_CHARACTERS;

/** A bit mask of allowed encoded characters from the options that are true. */
export function allowedEncodings(options: Partial<Record<EncodedCharacterOption, boolean>>): number {
  let mask = 0;
  for (const [name, { bit }] of Object.entries(ENCODED_CHARACTERS)) {
    if (options[name as EncodedCharacterOption] === true) mask |= bit;
  }
  return mask;
}

/** Bit of each refused escape, indexed by its byte value (0 for escapes that are always fine). */
const REFUSED_BIT = new Uint8Array(256);
for (const { bit, hex } of Object.values(ENCODED_CHARACTERS)) REFUSED_BIT[Number.parseInt(hex, 16)] = bit;

/**
 * The first escape (`%2F`) of the raw path that `allowed` does not permit, or null. Only the path
 * is checked, not the query, as in Traefik.
 */
export function refusedEscape(rawPath: string, allowed: number): string | null {
  let at = rawPath.indexOf('%');
  while (at !== -1) {
    const byte = hexByte(rawPath, at + 1);
    if (byte !== -1) {
      const bit = REFUSED_BIT[byte] as number;
      if (bit !== 0 && (allowed & bit) === 0) return rawPath.slice(at, at + 3);
    }
    at = rawPath.indexOf('%', at + 1);
  }
  return null;
}

/**
 * The cleaned path: unreserved escapes decoded, other escapes upper-cased, dot segments removed,
 * duplicate slashes merged, a trailing slash kept. Paths that need none of it (the common case)
 * are returned as they are after three `indexOf`.
 */
export function sanitizePath(rawPath: string): string {
  if (rawPath.charCodeAt(0) !== 47 /* '/' */) return rawPath;
  const escaped = rawPath.indexOf('%') !== -1;
  if (!escaped && rawPath.indexOf('//') === -1 && rawPath.indexOf('/.') === -1) return rawPath;
  const path = escaped ? normalizeEscapes(rawPath) : rawPath;
  const segments = path.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    const last = i === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
      continue;
    }
    if (segment === '..') {
      out.pop();
      trailingSlash = last;
      continue;
    }
    out.push(segment);
    trailingSlash = false;
  }
  if (out.length === 0) return '/';
  const cleaned = `/${out.join('/')}`;
  return trailingSlash ? `${cleaned}/` : cleaned;
}

/** Decodes escapes of unreserved characters (RFC 3986 §2.3) and upper-cases the hex of the others. */
function normalizeEscapes(path: string): string {
  let out = '';
  let from = 0;
  let at = path.indexOf('%');
  while (at !== -1) {
    const byte = hexByte(path, at + 1);
    if (byte !== -1) {
      out += path.slice(from, at);
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${path.slice(at + 1, at + 3).toUpperCase()}`;
      from = at + 3;
    }
    at = path.indexOf('%', at + 1);
  }
  return out + path.slice(from);
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** The byte of the two hex digits at `at`, or -1. */
function hexByte(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at));
  if (high === -1) return -1;
  const low = hexDigit(text.charCodeAt(at + 1));
  return low === -1 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}
