/**
 * Protocol upgrades (WebSocket and any other `Upgrade`), through the same client as every other
 * request: the head comes from `buildRequestHead`, the answer is read by `ResponseReader`, and
 * the connection comes from the server's pool (a fresh one, never reused), so dial and read
 * timeouts, passive health, the middlewares' response headers, draining and retired transports
 * apply as they do to plain requests. On `101 Switching Protocols` the two sockets become a
 * tunnel with backpressure both ways; any other answer is relayed as an ordinary response.
 *
 * A WebSocket opened over HTTP/2 (extended CONNECT, RFC 8441) reaches here as the HTTP/1.1
 * handshake the HTTP/2 server rewrote it into: the server's 101 is checked against the key the
 * proxy made up, answered to the client as a 200 on its stream, and the stream is the client's
 * side of the tunnel.
 */
import { createHash } from 'node:crypto';
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { caughtAtBoundary } from '../core/last-resort.js';
import type { RequestContext } from '../core/request-context.js';
import type { ForwardSettings } from './forward.js';
import { http2FieldsFromList } from './http2-fields.js';
import type { ReadLease } from './read-lease.js';
import { buildRequestHead, plainAddress, requestUri } from './request-headers.js';
import { withOverrides } from './response-overrides.js';
import { sendError } from './responses.js';
import type { ConnectionUser, UpstreamConnection } from './upstream-pool.js';
import type { UpstreamTarget } from './upstream-target.js';

/** One upgrade request on its way to one server, then its tunnel. */
class UpgradeExchange implements ConnectionUser {
  /** The client's side of the tunnel: its connection (HTTP/1.1) or its stream (HTTP/2). */
  private readonly client: Duplex;
  /** The HTTP/2 stream of a WebSocket opened by extended CONNECT, or null. */
  private readonly stream: ServerHttp2Stream | null;
  private responding = false;
  private tunnel = false;
  private released = false;
  /** The server's 101 did not answer the WebSocket handshake sent: the client got 502. */
  private refused = false;

  constructor(
    readonly ctx: RequestContext,
    readonly target: UpstreamTarget,
    readonly settings: ForwardSettings,
    readonly connection: UpstreamConnection,
  ) {
    this.stream = ctx.req.httpVersionMajor === 2 ? http2Stream(ctx) : null;
    this.client = this.stream ?? ctx.req.socket;
  }

  /** The server declined the upgrade: its answer is relayed as a plain response. */
  onResponseHead(status: number, message: string, headers: string[]): void {
    const { ctx, settings } = this;
    this.responding = true;
    settings.passive?.answered(this.target.state, status, Date.now());
    const overrides = ctx.responseHeaders;
    ctx.res.writeHead(status, message, overrides === null ? headers : withOverrides(headers, overrides));
  }

  onResponseBody(chunk: Buffer, last: boolean, lease: ReadLease | null): void {
    const written = lease === null ? undefined : lease.release;
    if (last) this.ctx.res.end(chunk, written);
    else this.ctx.res.write(chunk, written);
  }

  onResponseEnd(): void {
    if (!this.ctx.res.writableEnded) this.ctx.res.end();
    // The connection was opened for this request alone: it is never pooled.
    this.connection.finish(false);
    this.release();
  }

  onSwitchingProtocols(message: string, headers: string[], protocol: string, rest: Buffer): void {
    const { ctx, client, connection } = this;
    this.responding = true;
    this.tunnel = true;
    this.settings.passive?.answered(this.target.state, 101, Date.now());
    const overrides = ctx.responseHeaders;
    const relayed = overrides === null ? headers : withOverrides(headers, overrides);
    if (this.stream !== null) {
      if (!this.acceptStream(this.stream, relayed)) return;
    } else {
      let head = `HTTP/1.1 101 ${message || 'Switching Protocols'}\r\n`;
      for (let i = 0; i < relayed.length; i += 2) head += `${relayed[i]}: ${relayed[i + 1]}\r\n`;
      client.write(`${head}connection: Upgrade\r\nupgrade: ${protocol}\r\n\r\n`, 'latin1');
      ctx.res.statusCode = 101;
    }
    if (rest.length > 0) client.write(rest);
    const upstream = connection.socket;
    const early = ctx.upgradeHead;
    if (early != null && early.length > 0) upstream.write(early);
    (client as TunnelSocket)[EXCHANGE] = this;
    client.on('data', onClientData);
    client.on('drain', onClientDrain);
    client.on('end', onClientEnd);
    client.on('close', onClientClose);
    client.on('error', onClientError);
    client.resume();
  }

  /**
   * Answers an extended CONNECT with 200 once the server's 101 proved it read the handshake
   * (its Sec-WebSocket-Accept matches the key sent); without that proof the server is not
   * speaking WebSocket to us, and the client gets 502. Returns whether the tunnel opens.
   */
  private acceptStream(stream: ServerHttp2Stream, headers: string[]): boolean {
    const key = this.ctx.req.headers['sec-websocket-key'];
    let accept: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      if ((headers[i] as string).toLowerCase() === 'sec-websocket-accept') accept = headers[i + 1] as string;
    }
    const fields = http2FieldsFromList(headers);
    delete fields['sec-websocket-accept'];
    if (typeof key !== 'string' || accept !== webSocketAccept(key)) {
      this.tunnel = false;
      this.refused = true;
      this.connection.destroy();
      this.release();
      this.target.state.failures++;
      sendError(this.ctx.res, 502);
      return false;
    }
    this.ctx.res.statusCode = 200;
    if (stream.destroyed || stream.closed) {
      // The client reset the stream meanwhile: nothing to answer.
      this.clientGone();
      return false;
    }
    try {
      stream.respond({ ...fields, ':status': 200 });
    } catch (thrown) {
      // A defect (the fields are cleaned above): the client is not left waiting.
      caughtAtBoundary(thrown, 'websocket over http2 answer');
      this.clientGone();
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return false;
    }
    return true;
  }

  onTunnelData(data: Buffer): void {
    // The client reads slower than the server sends: stop reading the server until it drains.
    if (!this.client.write(data)) this.connection.socket.pause();
  }

  onConnectionDrain(): void {
    if (this.tunnel) this.client.resume();
  }

  awaitsServer(): boolean {
    return true;
  }

  /**
   * Called from socket and timer callbacks (close, header timeout, a drain abandoning a dial),
   * and what follows may run the balancer again: nothing may escape, so a defect costs this
   * client its connection and is logged and counted.
   */
  onConnectionError(error: NodeJS.ErrnoException): void {
    try {
      this.failed(error);
    } catch (thrown) {
      caughtAtBoundary(thrown, 'upgrade failure');
      this.ctx.res.destroy();
    }
  }

  private failed(error: NodeJS.ErrnoException): void {
    if (this.refused) return;
    if (this.tunnel) {
      // The server side of the tunnel closed: the client side ends too, after what was already
      // written to it (a WebSocket close frame) is flushed.
      closeGracefully(this.client);
      this.release();
      return;
    }
    this.release();
    if (this.responding) {
      this.ctx.res.destroy(error);
      return;
    }
    this.target.state.failures++;
    const timeout = error.code === 'SY_RESPONSE_HEADER_TIMEOUT' || error.code === 'SY_UPSTREAM_READ_TIMEOUT';
    sendError(this.ctx.res, timeout ? 504 : 502);
  }

  /** The client went away (before or during the tunnel): the server connection goes too. */
  clientGone(): void {
    if (this.tunnel) closeGracefully(this.connection.socket);
    else if (!this.connection.closed) this.connection.destroy();
    this.release();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.target.state.inFlight--;
  }
}

const EXCHANGE = Symbol('switchyard.upgradeExchange');

/** How long a tunnel's half-closed side may linger before it is cut. */
const CLOSE_GRACE_MS = 5_000;

/** RFC 6455 §4.2.2: what a server that read `key` answers in Sec-WebSocket-Accept. */
function webSocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** The HTTP/2 stream under a compatibility response, if it is one. */
function http2Stream(ctx: RequestContext): ServerHttp2Stream | null {
  const stream = (ctx.res as unknown as { stream?: ServerHttp2Stream }).stream;
  return stream ?? null;
}

/** Ends a tunnel side after its pending writes, and cuts it if the peer never closes. */
function closeGracefully(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(destroySocket, CLOSE_GRACE_MS, socket).unref();
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

type TunnelSocket = Duplex & { [EXCHANGE]?: UpgradeExchange };

function onClientData(this: TunnelSocket, data: Buffer): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  if (!exchange.connection.socket.write(data)) this.pause();
}

function onClientDrain(this: TunnelSocket): void {
  this[EXCHANGE]?.connection.socket.resume();
}

/**
 * The client finished sending (FIN). Node's HTTP sockets allow half-open connections, so no
 * 'close' follows by itself: the end is passed on to the server, whose close ends the tunnel.
 */
function onClientEnd(this: TunnelSocket): void {
  const exchange = this[EXCHANGE];
  if (exchange !== undefined) closeGracefully(exchange.connection.socket);
}

function onClientClose(this: TunnelSocket): void {
  this[EXCHANGE]?.clientGone();
}

function onClientError(this: TunnelSocket): void {
  this.destroy();
}

/** Forwards an upgrade request in `ctx` (which carries `upgradeHead`) to `target`. */
export function forwardUpgrade(ctx: RequestContext, target: UpstreamTarget, settings: ForwardSettings): void {
  const req = ctx.req;
  const client = req.socket;
  const head = buildRequestHead(
    req.method ?? 'GET',
    target.basePath + requestUri(ctx),
    req.headers,
    plainAddress(client.remoteAddress),
    ctx.scheme,
    client.localPort ?? 0,
    settings.passHostHeader ? null : target.authority,
    -1,
    String(req.headers.upgrade ?? ''),
  );
  ctx.serverUrl = target.url;
  target.state.requests++;
  target.state.inFlight++;
  // A fresh connection: a tunnel must not inherit a pooled socket, nor return to the pool.
  const connection = target.pool(settings.transport).open();
  const exchange = new UpgradeExchange(ctx, target, settings, connection);
  connection.begin(exchange, req.method !== 'HEAD', true);
  // Before the answer, a client that leaves takes the server connection with it.
  ctx.res.once('close', () => {
    if (!exchange.connection.reader.switched) exchange.clientGone();
  });
  connection.socket.write(head, 'latin1');
}
