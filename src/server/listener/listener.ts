/**
 * The TCP side of an entry point, in the shape of Traefik's `server_entrypoint_tcp`: accept a
 * connection, then hand it to the next stage. Today the only stage is the protocol server (HTTP/1.1
 * for plaintext); the PROXY protocol, peeking at a TLS ClientHello (SNI, ALPN) for TCP routers and
 * TLS termination slot in between as stages of the same `ConnectionHandler` shape, each deciding
 * where the connection goes next. A plaintext HTTP-only entry point costs one function call per
 * connection and nothing per request.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ListenError } from '../../errors.js';

/** Where an accepted connection goes next. */
export type ConnectionHandler = (socket: Socket) => void;

/** Where a listener binds. */
export interface ListenAddress {
  /** The entry point's name (for errors). */
  readonly name: string;
  /** Interface to bind; undefined binds all interfaces. */
  readonly host: string | undefined;
  readonly port: number;
}

/** One listening TCP socket feeding a connection handler. */
export class Listener {
  readonly server: Server;

  constructor(
    private readonly address: ListenAddress,
    handler: ConnectionHandler,
  ) {
    // The handler runs synchronously on accept, before any byte is read. A stage that peeks at
    // the first bytes (TLS ClientHello) will read them itself and put them back (`unshift`).
    this.server = createServer(handler);
  }

  /** Starts listening; rejects with a ListenError naming the address when the port is taken. */
  listen(): Promise<void> {
    const { host, port, name } = this.address;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const where = `${host ?? '0.0.0.0'}:${port}`;
        const reason =
          error.code === 'EADDRINUSE'
            ? `port ${port} is already in use`
            : error.code === 'EACCES'
              ? `permission denied to listen on port ${port}`
              : error.message;
        reject(
          new ListenError(
            `entry point "${name}" cannot listen on ${where}: ${reason}`,
            `entryPoints.${name}.address`,
            error,
          ),
        );
      };
      this.server.once('error', onError);
      // A deeper accept queue than Node's 511: an edge router meets bursts of new connections
      // (1,000 clients connecting at once lost some SYNs with the default). The kernel caps it at somaxconn.
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  /** The port actually bound (useful with port 0 in tests). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.address.port;
  }

  /** Stops accepting connections; those already accepted are their handler's business. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
