/**
 * The routing path: the path that Path, PathPrefix and PathRegexp look at. As in Traefik,
 * percent-encoded characters are decoded except reserved ones (RFC 3986 gen-delims and
 * sub-delims, plus '%' itself), which stay encoded because decoding them would change which
 * segment or component they belong to: `/a%2Fb` is one segment, `/a/b` two.
 */

/** Percent-encodings kept as they are (upper-case hex); decoding them would change the URL's meaning. */
const RESERVED = new Set([
  '3A', // :
  '2F', // /
  '3F', // ?
  '23', // #
  '5B', // [
  '5D', // ]
  '40', // @
  '21', // !
  '24', // $
  '26', // &
  '27', // '
  '28', // (
  '29', // )
  '2A', // *
  '2B', // +
  '2C', // ,
  '3B', // ;
  '3D', // =
  '25', // %
]);

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Decodes the non-reserved `%XX` of a raw request path (no query). Reserved escapes stay encoded,
 * normalised to upper-case hex (`%2f` → `%2F`) so one rule matches both spellings. Decoded bytes
 * are read as UTF-8; a malformed escape (`%zz`, `%4`) is left as written.
 */
export function routingPath(rawPath: string): string {
  let percent = rawPath.indexOf('%');
  if (percent === -1) return rawPath;
  let out = rawPath.slice(0, percent);
  let pending: number[] = [];
  let i = percent;
  while (i < rawPath.length) {
    const hex = rawPath.charCodeAt(i) === 0x25 ? rawPath.slice(i + 1, i + 3) : '';
    if (hex.length === 2 && HEX.test(hex)) {
      const upper = hex.toUpperCase();
      if (RESERVED.has(upper)) {
        out += `${flushBytes(pending)}%${upper}`;
        pending = [];
      } else {
        pending.push(Number.parseInt(hex, 16));
      }
      i += 3;
      continue;
    }
    out += flushBytes(pending);
    pending = [];
    percent = rawPath.indexOf('%', i + 1);
    const next = percent === -1 ? rawPath.length : percent;
    out += rawPath.slice(i, next);
    i = next;
  }
  return out + flushBytes(pending);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a run of percent-decoded bytes; bytes that are not valid UTF-8 are put back as `%XX`. */
function flushBytes(bytes: number[]): string {
  if (bytes.length === 0) return '';
  try {
    return strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
}
