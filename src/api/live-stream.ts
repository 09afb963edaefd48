/**
 * `GET /api/live`: the live view as Server-Sent Events. SSE rather than WebSocket because the
 * flow is one-way (server → browser), browsers reconnect EventSource by themselves, it is plain
 * HTTP that any proxy passes, and EventSource needs no client library.
 *
 * Events: `config` (the overview) on connect and after every reload; `stats` once a second;
 * `server` (`{ url, health, cause }`) when a server's availability changes (the upstream events:
 * active or passive health, draining).
 * Each event is serialised once for all clients. A client that does not keep up misses events
 * (they are snapshots, the next one supersedes) instead of buffering without bound, so the
 * stream never holds the proxy back.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../core/request-context.js';

/** Bytes queued to one client beyond which it skips events. */
const SLOW_CLIENT_BYTES = 256 * 1024;

/** The connected live clients. */
export class LiveStream {
  private readonly clients = new Set<ServerResponse>();

  /** Number of connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Starts a stream on this request, sending the initial events at once. */
  open(ctx: RequestContext, initial: Array<[event: string, data: unknown]>): void {
    const res = ctx.res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write('retry: 2000\n\n');
    for (const [event, data] of initial) res.write(frame(event, data));
    this.clients.add(res);
    const forget = () => this.clients.delete(res);
    res.once('close', forget);
    res.once('error', forget);
  }

  /** Sends an event to every client that keeps up. */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = frame(event, data);
    for (const res of this.clients) {
      if (res.destroyed || res.writableEnded) {
        this.clients.delete(res);
        continue;
      }
      if (res.writableLength > SLOW_CLIENT_BYTES) continue;
      res.write(text);
    }
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
