/**
 * Reading a request body into memory, for the few features that must send it more than once
 * (retry, mirroring). Only bodies whose length is announced and small enough are read; the
 * rest stream as usual and simply lose the feature.
 */
import type { IncomingMessage } from 'node:http';

/** Whether the request carries a body at all. */
export function hasRequestBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/**
 * The announced body length when it can be buffered within `limit` bytes (a negative limit
 * means no limit, chunked bodies included), or -1 when it cannot.
 */
export function bufferableLength(req: IncomingMessage, limit: number): number {
  const headers = req.headers;
  const length = headers['content-length'];
  if (headers['transfer-encoding'] !== undefined || length === undefined)
    return limit < 0 ? Number.MAX_SAFE_INTEGER : -1;
  const n = Number(length);
  if (!Number.isSafeInteger(n) || n < 0) return -1;
  return limit < 0 || n <= limit ? n : -1;
}

/** Reads the whole body; rejects when the client goes away first. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('client aborted the request body')));
  });
}
