/**
 * Responses the proxy writes itself (no route, upstream failures). Plain text, like Traefik's,
 * with a content length so keep-alive connections stay usable.
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';

const BODIES = new Map<number, string>([[404, '404 page not found\n']]);

/** Writes a short plain-text error response, or cuts the connection if headers already went out. */
export function sendError(res: ServerResponse, status: number, body?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.writableEnded) return;
  const text = body ?? BODIES.get(status) ?? `${STATUS_CODES[status] ?? 'Error'}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
