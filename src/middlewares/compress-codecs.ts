/**
 * The compressors of the compress middleware: one call for a body that arrived whole, a node:zlib
 * stream otherwise. zstd exists from Node.js 22.15 (not on Node 20): detected, never assumed.
 */
import zlib from 'node:zlib';

/** Whether this Node has zstd (22.15 and later; Node 20 does not). */
export const createZstd = (zlib as unknown as { createZstdCompress?: () => zlib.Gzip }).createZstdCompress;

/** One-call zstd, where this Node has it. */
export const zstdSync = (zlib as unknown as { zstdCompressSync?: (body: Buffer) => Buffer }).zstdCompressSync;

/** gzip level (zlib's default) and brotli quality (Traefik's brotli writer's default). */
const GZIP_LEVEL = 6;
const BROTLI_QUALITY = 6;

/**
 * Largest body compressed in one synchronous call when it arrives whole (about 3 ms of CPU at
 * gzip level 6 on a slow core): larger ones stream, off the event loop.
 */
export const WHOLE_BODY_LIMIT = 128 * 1024;

/** The body compressed in one call. */
export function compressSync(encoding: string, body: Buffer): Buffer {
  if (encoding === 'br') {
    return zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
  }
  if (encoding === 'zstd' && zstdSync !== undefined) return zstdSync(body);
  return zlib.gzipSync(body, { level: GZIP_LEVEL });
}

/** A streaming compressor; `sizeHint` (0: unknown) tunes brotli. */
export function createStream(encoding: string, sizeHint: number): zlib.Gzip | zlib.BrotliCompress {
  if (encoding === 'br') {
    const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY };
    if (sizeHint > 0) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
    return zlib.createBrotliCompress({ params });
  }
  if (encoding === 'zstd' && createZstd !== undefined) return createZstd();
  return zlib.createGzip({ level: GZIP_LEVEL });
}
