/**
 * One client connection taken by a TCP router, as the middlewares and the service see it. The
 * socket is the client's stream from its first byte (the peeked bytes were put back), raw TLS
 * for a passthrough router, plaintext for a terminating one.
 */
import type { Socket } from 'node:net';

/** A client connection routed by a TCP router. */
export interface TcpConnection {
  readonly socket: Socket;
  readonly entryPoint: string;
  /** The TCP router that took it (qualified name). */
  readonly router: string;
  /** The client's IP (from a trusted PROXY header when there was one). */
  readonly clientAddress: string;
  /** TLS SNI, or ''. */
  readonly serverName: string;
  /** `performance.now()` when it was accepted by the router. */
  readonly startedAt: number;
}

/** What handles a routed connection: a service, or a middleware in front of one. */
export type TcpHandler = (connection: TcpConnection) => void;

/** A TCP middleware, built once: wraps the next handler. */
export type TcpMiddleware = (next: TcpHandler) => TcpHandler;
