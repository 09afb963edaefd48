// Response bodies shared by the backends and the correctness check, so the check can
// compare what came through a proxy byte for byte with what the backend sent.

/** Size of the large body served at `GET /big`. */
export const BIG_SIZE = 64 * 1024;

/** The ~200-byte JSON body a backend with this id answers at `GET /api`. */
export function apiBody(id) {
  const doc = {
    id,
    service: 'bench-api',
    status: 'ok',
    items: [
      { name: 'alpha', value: 1 },
      { name: 'beta', value: 2 },
      { name: 'gamma', value: 3 },
    ],
    note: 'static payload for proxy benchmarks',
  };
  return Buffer.from(JSON.stringify(doc));
}

/** The deterministic 64 KiB body served at `GET /big` (printable, so truncation or corruption shows). */
export function bigBody() {
  const buf = Buffer.alloc(BIG_SIZE);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (let i = 0; i < BIG_SIZE; i++) {
    buf[i] = (i + 1) % 64 === 0 ? 0x0a : alphabet.charCodeAt((i * 7 + (i >> 6)) % alphabet.length);
  }
  return buf;
}
