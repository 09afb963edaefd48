/**
 * Keep-alive connections to one upstream endpoint (`protocol//host:port`) for the hand-written
 * HTTP/1.1 client. Idle connections are kept last-in first-out, so the most recently used is
 * reused and the others age out; an idle connection that the server closes leaves the pool at
 * once, and one idle longer than `idleConnTimeout` is closed by a sweep or when met on take.
 *
 * Socket listeners are attached once per connection and are module-level functions: a request
 * only sets `connection.user`, so reusing a connection allocates nothing.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { caughtAtBoundary } from '../core/last-resort.js';
import { READ_BUFFER, type ReadLease } from './read-lease.js';
import { ResponseReader, type ResponseSink } from './response-reader.js';
import type { UpstreamTlsOptions } from './upstream-tls.js';

/** What a connection reports to the request using it. */
export interface ConnectionUser extends ResponseSink {
  /** The connection failed or closed before the response was complete. */
  onConnectionError(error: NodeJS.ErrnoException): void;
  /** The socket's write buffer drained (request body backpressure). */
  onConnectionDrain(): void;
  /**
   * Whether the server's silence for `readTimeout` is its fault: false while the request body
   * is still coming from the client (a slow client is the entry point's readTimeout's business).
   */
  awaitsServer(): boolean;
  /** Bytes of the other protocol after a 101 (a copy the user may keep). */
  onTunnelData?(data: Buffer): void;
}

/** How a pool opens and keeps connections. */
export interface PoolOptions {
  readonly dialTimeout: number;
  readonly idleTimeout: number;
  /** Longest silence of the server during an exchange (0 = none). */
  readonly readTimeout: number;
  readonly maxIdle: number;
  readonly rejectUnauthorized: boolean;
  /** TLS to `https://` servers (CAs, SNI, client certificate). */
  readonly tls?: UpstreamTlsOptions;
}

const CONNECTION = Symbol('switchyard.upstreamConnection');

type PooledSocket = Socket & { [CONNECTION]?: UpstreamConnection };

/** One connection to an upstream server. */
export class UpstreamConnection {
  /** The request using the connection, or null while idle. */
  user: ConnectionUser | null = null;
  readonly reader = new ResponseReader();
  /** Requests sent on this connection so far (more than one means it was reused). */
  requests = 0;
  /** When the dial began (ms since epoch): a drain cuts dials that take too long (abortDials). */
  readonly openedAt = Date.now();
  idleSince = 0;
  /** Position in the pool's idle list, -1 when in use. */
  idleIndex = -1;
  closed = false;
  private error: NodeJS.ErrnoException | null = null;

  constructor(
    readonly socket: Socket,
    readonly pool: UpstreamPool,
  ) {}

  /** Reads the answer to the request the user is about to write; `upgrade` lets it switch protocols. */
  begin(user: ConnectionUser, expectBody: boolean, upgrade = false): void {
    this.user = user;
    this.requests++;
    this.reader.begin(expectBody, upgrade);
  }

  /**
   * The user is done with the connection: back to the pool when its framing is intact, closed
   * otherwise. `reusable` is false when the request body was not completely sent.
   */
  finish(reusable: boolean): void {
    this.user = null;
    if (reusable && !this.closed && this.reader.done && this.reader.keepAlive) this.pool.release(this);
    else this.destroy();
  }

  /** Closes the connection without telling its user (who gave it up). */
  destroy(error?: NodeJS.ErrnoException): void {
    this.user = null;
    this.closed = true;
    this.pool.forget(this);
    this.socket.destroy(error);
  }

  /** Closes the connection and reports `error` to its user (timeouts). */
  fail(error: NodeJS.ErrnoException): void {
    const user = this.user;
    this.destroy();
    user?.onConnectionError(error);
  }

  /** Bytes from the server; `shared` when `data` is reused after this call (then copied as needed). */
  onData(data: Buffer, shared: boolean): void {
    const user = this.user;
    if (user === null) {
      // Bytes from the server while no request is waiting: its framing is off; stop using it.
      this.destroy();
      return;
    }
    if (this.reader.switched) {
      // A tunnel (WebSocket…): bytes pass through; the shared read buffer is reused, so copy.
      user.onTunnelData?.(shared ? Buffer.from(data) : data);
      return;
    }
    let error: NodeJS.ErrnoException | null;
    try {
      error = this.reader.push(data, this, shared);
    } catch (thrown) {
      // Nothing a server sends may escape this socket callback: the process serves others.
      error = caughtAtBoundary(thrown, 'upstream data');
    }
    if (error !== null) this.fail(error);
  }

  /** The server was silent for readTimeout: a timeout unless the silence is not its fault. */
  onReadTimeout(): void {
    const user = this.user;
    if (user === null) return; // idle in the pool: idleConnTimeout applies
    if (this.socket.isPaused() || !user.awaitsServer()) {
      // Client backpressure or a request body still on its way: look again later.
      this.socket.setTimeout(this.pool.readTimeout);
      return;
    }
    this.fail(Object.assign(new Error('upstream read timeout'), { code: 'SY_UPSTREAM_READ_TIMEOUT' }));
  }

  onClose(): void {
    this.closed = true;
    this.pool.forget(this);
    const user = this.user;
    if (user === null) return;
    if (this.reader.close(this)) return;
    this.user = null;
    user.onConnectionError(this.error ?? hangUp());
  }

  onError(error: NodeJS.ErrnoException): void {
    this.error ??= error;
  }

  // ResponseSink, relayed to the user; the end of a message hands the connection back.
  onResponseHead(status: number, message: string, headers: string[]): void {
    this.user?.onResponseHead(status, message, headers);
  }

  onResponseBody(chunk: Buffer, last: boolean, lease: ReadLease | null): void {
    this.user?.onResponseBody(chunk, last, lease);
  }

  onResponseEnd(trailers: string[] | null): void {
    this.user?.onResponseEnd(trailers);
  }

  onSwitchingProtocols(message: string, headers: string[], protocol: string, rest: Buffer): void {
    // A tunnel may stay silent as long as its two ends like: no read timeout any more.
    this.socket.setTimeout(0);
    this.user?.onSwitchingProtocols?.(message, headers, protocol, rest);
  }
}

function hangUp(): NodeJS.ErrnoException {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

function onSocketData(this: PooledSocket, data: Buffer): void {
  this[CONNECTION]?.onData(data, false);
}

/**
 * Plain-HTTP upstream sockets read into one shared buffer (`onread`), skipping the readable
 * stream machinery; what must outlive the callback (body chunks, split heads) is copied
 * (large body chunks into recycled buffers, read-lease.ts).
 */
function onSocketRead(this: PooledSocket, length: number, buffer: Uint8Array): boolean {
  const connection = this[CONNECTION];
  if (connection !== undefined) connection.onData((buffer as Buffer).subarray(0, length), true);
  // A paused socket (client backpressure) stays paused.
  return !this.isPaused();
}

function onSocketError(this: PooledSocket, error: NodeJS.ErrnoException): void {
  this[CONNECTION]?.onError(error);
}

function onSocketClose(this: PooledSocket): void {
  this[CONNECTION]?.onClose();
}

function onSocketDrain(this: PooledSocket): void {
  this[CONNECTION]?.user?.onConnectionDrain();
}

function onDialTimeout(this: PooledSocket): void {
  this.destroy(Object.assign(new Error('upstream dial timeout'), { code: 'SY_DIAL_TIMEOUT' }));
}

function onDialConnected(this: PooledSocket): void {
  this.removeListener('timeout', onDialTimeout);
  const readTimeout = this[CONNECTION]?.pool.readTimeout ?? 0;
  this.setTimeout(readTimeout);
  if (readTimeout > 0) this.on('timeout', onReadTimeout);
}

/**
 * The socket saw no byte either way for readTimeout. Node refreshes this timer on every read
 * and write, so it costs no timer per request.
 */
function onReadTimeout(this: PooledSocket): void {
  this[CONNECTION]?.onReadTimeout();
}

/** Connections to one endpoint. */
export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  /** Connections in use or idle (for draining and shutdown). */
  private readonly all = new Set<UpstreamConnection>();
  /** Set when the transport is retired: connections close when their request ends. */
  retired = false;

  constructor(
    readonly https: boolean,
    readonly hostname: string,
    readonly port: number,
    private readonly options: PoolOptions,
  ) {}

  /** The server's longest allowed silence during an exchange (ms, 0 = none). */
  get readTimeout(): number {
    return this.options.readTimeout;
  }

  /** An idle connection (most recently used first), or null when none is usable. */
  takeIdle(now: number): UpstreamConnection | null {
    const idle = this.idle;
    const timeout = this.options.idleTimeout;
    while (idle.length > 0) {
      const connection = idle.pop() as UpstreamConnection;
      connection.idleIndex = -1;
      const socket = connection.socket;
      if (connection.closed || socket.destroyed || socket.readableEnded) {
        connection.destroy();
        continue;
      }
      if (timeout > 0 && now - connection.idleSince >= timeout) {
        connection.destroy();
        continue;
      }
      return connection;
    }
    return null;
  }

  /** Opens a new connection. */
  open(): UpstreamConnection {
    const options = this.options;
    let socket: PooledSocket;
    if (this.https) {
      const tls = options.tls;
      const serverName = tls !== undefined && tls.serverName !== '' ? tls.serverName : null;
      socket = tlsConnect({
        host: this.hostname,
        port: this.port,
        servername: serverName ?? (isIP(this.hostname) === 0 ? this.hostname : undefined),
        rejectUnauthorized: options.rejectUnauthorized,
        ca: tls !== undefined && tls.rootCAs.length > 0 ? [...tls.rootCAs] : undefined,
        cert: tls?.certificate?.cert,
        key: tls?.certificate?.key,
        // Offered explicitly, so a server that also speaks h2 answers in HTTP/1.1 here.
        ALPNProtocols: ['http/1.1'],
      });
    } else {
      socket = netConnect({
        host: this.hostname,
        port: this.port,
        onread: { buffer: READ_BUFFER, callback: onSocketRead },
      });
    }
    socket.setNoDelay(true);
    const connection = new UpstreamConnection(socket, this);
    socket[CONNECTION] = connection;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    if (options.dialTimeout > 0) socket.setTimeout(options.dialTimeout, onDialTimeout);
    socket.once(this.https ? 'secureConnect' : 'connect', onDialConnected);
    this.all.add(connection);
    return connection;
  }

  /** Takes back a connection whose exchange completed cleanly. */
  release(connection: UpstreamConnection): void {
    if (this.retired || this.idle.length >= this.options.maxIdle) {
      connection.destroy();
      return;
    }
    connection.idleSince = Date.now();
    connection.idleIndex = this.idle.length;
    this.idle.push(connection);
    if (this.sweeper === null && this.options.idleTimeout > 0) {
      const period = Math.min(15_000, Math.max(100, this.options.idleTimeout >> 2));
      this.sweeper = setInterval(sweep, period, this);
      this.sweeper.unref();
    }
  }

  /** A connection closed: it leaves the pool. */
  forget(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const at = connection.idleIndex;
    if (at === -1) return;
    connection.idleIndex = -1;
    const idle = this.idle;
    const last = idle.pop() as UpstreamConnection;
    if (last !== connection) {
      idle[at] = last;
      last.idleIndex = at;
    }
  }

  /** Closes idle connections, and those in use too when `all`; returns how many. */
  close(all: boolean): number {
    let closed = 0;
    for (const connection of [...this.all]) {
      if (!all && connection.idleIndex === -1) continue;
      const user = connection.user;
      connection.destroy();
      user?.onConnectionError(hangUp());
      closed++;
    }
    if (this.sweeper !== null && this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
    return closed;
  }

  /**
   * Fails the connections still dialing that began at least `minAgeMs` before `now`, with
   * `SY_DIAL_ABORTED`: their request cannot have reached the server, so it may go to another
   * one. Used for servers that are leaving; returns how many were cut.
   */
  abortDials(now: number, minAgeMs: number): number {
    let aborted = 0;
    for (const connection of [...this.all]) {
      if (!connection.socket.connecting || now - connection.openedAt < minAgeMs) continue;
      // Through the socket, like a dial timeout: the failure reaches the request from the
      // socket's own close, not from inside the drainer's timer.
      connection.socket.destroy(
        Object.assign(new Error('dial to a leaving server abandoned'), { code: 'SY_DIAL_ABORTED' }),
      );
      aborted++;
    }
    return aborted;
  }

  /** Closes idle connections that outlived the idle timeout. */
  sweep(now: number): void {
    const timeout = this.options.idleTimeout;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const connection = this.idle[i] as UpstreamConnection;
      if (now - connection.idleSince >= timeout) connection.destroy();
    }
    if (this.idle.length === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }
}

function sweep(pool: UpstreamPool): void {
  pool.sweep(Date.now());
}
