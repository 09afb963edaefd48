/**
 * Choosing a response encoding from `Accept-Encoding`, as Traefik's compress middleware does:
 * q-values first (q=0 refuses), then the configured order of `encodings`; `*` means the
 * default encoding (or the first configured one); `identity` (or an empty header) means none.
 */

/** No compression for this request. */
export const IDENTITY = '';

/** The configured encodings, in order of preference, and the default for `*` or no header. */
export interface EncodingPreferences {
  readonly encodings: readonly string[];
  readonly defaultEncoding: string;
}

interface Candidate {
  name: string;
  weight: number;
  rank: number;
}

/** The encoding to use for this `Accept-Encoding` value (undefined: the header is absent). */
export function chooseEncoding(prefs: EncodingPreferences, header: string | undefined): string {
  if (header === undefined) return prefs.defaultEncoding;
  // RFC 9110: an empty field value means the client wants no content coding.
  if (header.trim() === '') return IDENTITY;
  let best: Candidate | null = null;
  for (const raw of header.split(',')) {
    const item = raw.replace(/\s+/g, '');
    const semi = item.indexOf(';');
    const name = (semi === -1 ? item : item.slice(0, semi)).toLowerCase();
    const rank = rankOf(prefs, name);
    if (rank === undefined) continue;
    let weight = 1;
    if (semi !== -1) {
      const parameter = item.slice(semi + 1);
      if (parameter.toLowerCase().startsWith('q=')) {
        const q = Number.parseFloat(parameter.slice(2));
        weight = Number.isNaN(q) ? 0 : q;
        if (weight <= 0) continue;
      }
    }
    if (best === null || weight > best.weight || (weight === best.weight && rank < best.rank)) {
      best = { name, weight, rank };
    }
  }
  if (best === null || best.name === 'identity') return IDENTITY;
  if (best.name === '*') return prefs.defaultEncoding !== '' ? prefs.defaultEncoding : (prefs.encodings[0] ?? IDENTITY);
  return best.name;
}

/** Priority of an accepted token: `*` first at equal weight, then the configured order, then identity. */
function rankOf(prefs: EncodingPreferences, name: string): number | undefined {
  if (name === '*') return -1;
  if (name === 'identity') return prefs.encodings.length;
  const index = prefs.encodings.indexOf(name);
  return index === -1 ? undefined : index;
}
