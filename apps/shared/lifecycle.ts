import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening app server, as every app starter returns it. */
export interface RunningServer {
  /** The underlying node:http server. */
  server: Server;
  /** The port actually bound (useful when 0 was asked for). */
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then resolves. */
  close(): Promise<void>;
}

/** Binds `server` and resolves with the bound port; rejects on EADDRINUSE and friends. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Returns an idempotent graceful `close()` for `server`. Call it before `listen` so it sees every request.
 *
 * Why not just `server.close()`: keep-alive connections would hold the process open until their idle
 * timeout, and a client reusing one after shutdown began would race the close. So responses still in
 * flight are told `Connection: close`, idle sockets are closed as soon as they go idle, and whatever is
 * left after `graceMs` is cut.
 */
export function gracefulCloser(server: Server, graceMs: number): () => Promise<void> {
  const active = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;

  const closeIdleSoon = () => setImmediate(() => server.closeIdleConnections());
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.once('finish', closeIdleSoon);
      return;
    }
    active.add(res);
    res.once('close', () => active.delete(res));
  });

  return () => {
    if (closing) return closing;
    closing = new Promise<void>((resolve) => {
      for (const res of active) {
        if (!res.headersSent) res.setHeader('Connection', 'close');
        res.once('finish', closeIdleSoon);
      }
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
}
