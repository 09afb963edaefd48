/**
 * The HTTP/1.1 protocol server of an entry point: a `node:http` server that never listens itself
 * and serves the connections the listener hands it. Other protocols (h2c, HTTP/2 over TLS) are
 * other factories with the same `serve(socket)` shape, chosen per connection by the listener's
 * stages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionHandler } from './listener.js';

/** Limits and timeouts of the HTTP/1.1 server (ms, bytes). */
export interface Http1Options {
  readonly readTimeout: number;
  readonly idleTimeout: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
}

/** What the server calls for requests, upgrades and unparsable input. */
export interface Http1Handlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  clientError(error: NodeJS.ErrnoException, socket: Duplex): void;
}

/** An HTTP/1.1 server and the handler that gives it a connection. */
export interface Http1Server {
  readonly server: Server;
  readonly serve: ConnectionHandler;
}

/** Creates the HTTP/1.1 server for one entry point. */
export function createHttp1Server(options: Http1Options, handlers: Http1Handlers): Http1Server {
  const readTimeout = options.readTimeout;
  const headersTimeout = readTimeout > 0 ? Math.min(readTimeout, 60_000) : 60_000;
  const server = createServer(
    {
      requestTimeout: readTimeout,
      headersTimeout,
      keepAliveTimeout: options.idleTimeout,
      // Node checks the two timeouts above on this period (30 s by default, so a 60 s limit
      // cut slow clients at up to 90 s): a tenth of the limit keeps them within 10 %.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 10))),
      maxHeaderSize: options.maxHeaderBytes,
    },
    handlers.request,
  );
  // One line more than allowed is kept so that too many lines can be told from just enough
  // (request-checks.ts answers 431); Node would otherwise drop the extra lines silently.
  server.maxHeadersCount = options.maxHeaderCount + 1;
  server.on('upgrade', handlers.upgrade);
  server.on('clientError', handlers.clientError);
  // The server is handed connections instead of accepting them: 'listening' is what starts its
  // connection tracking (the timeout checks above, closeIdleConnections) in Node.
  server.emit('listening');
  const serve = (socket: Socket) => {
    server.emit('connection', socket);
  };
  return { server, serve };
}
