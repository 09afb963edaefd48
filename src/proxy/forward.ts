/**
 * The forwarding engine: sends one request to one upstream server and streams the answer
 * back, with backpressure in both directions and no buffering of bodies.
 *
 * Upstream requests go through the proxy's own HTTP/1.1 client (upstream-pool.ts,
 * response-reader.ts): the request head is written as one string on a pooled keep-alive
 * socket, and the response is relayed to the client's `ServerResponse` as it is parsed; a
 * response whose head and body arrive in one read is answered with one `end()`, so one
 * syscall. Listeners are module-level functions that find their per-request state through a
 * symbol on the emitter, so forwarding a request creates no closures.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { PassiveHealthPolicy } from '../balancer/passive-health.js';
import { STALE_SOCKET, STREAMED_BODY, TIMED_OUT } from '../balancer/retry-facts.js';
import type { RetryDecision } from '../balancer/retry-policy.js';
import { caughtAtBoundary } from '../core/last-resort.js';
import type { RequestContext } from '../core/request-context.js';
import { hasRequestBody } from './buffered-body.js';
import type { ReadLease } from './read-lease.js';
import { buildRequestHead, plainAddress, requestUri } from './request-headers.js';
import { withOverrides } from './response-overrides.js';
import { isForwardableTrailer } from './response-reader.js';
import { sendError } from './responses.js';
import type { Transport } from './transport.js';
import { transportFacts } from './transport-errors.js';
import type { ConnectionUser, UpstreamConnection } from './upstream-pool.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Per-service forwarding settings, resolved when the routing table is built. */
export interface ForwardSettings {
  /** Keep the client's Host header (Traefik's default) or send the server's authority. */
  readonly passHostHeader: boolean;
  readonly transport: Transport;
  /**
   * Called when the upstream failed before any byte of the response reached the client, with
   * the facts of the failure (balancer/retry-facts.ts). The balancer asks its retry policy and
   * acts: 'next-server' means it took the request over, 'resend-same' and 'fail' are done here.
   */
  readonly onTransportError: (
    ctx: RequestContext,
    target: UpstreamTarget,
    error: NodeJS.ErrnoException,
    facts: number,
  ) => RetryDecision;
  /** Passive health of the service's servers: every answer is reported to it. */
  readonly passive?: PassiveHealthPolicy | null;
  /**
   * Asked, only under a retry middleware with `status` ranges, when an answer's head arrives:
   * true means the balancer took the request over (it will be tried again), and the answer is
   * dropped unseen by the client.
   */
  readonly onRetryableStatus?: (ctx: RequestContext, target: UpstreamTarget, status: number) => boolean;
}

const EXCHANGE = Symbol('switchyard.exchange');

type WithExchange<T> = T & { [EXCHANGE]?: Exchange };

/** State of one request on its way to one upstream server. */
class Exchange implements ConnectionUser {
  connection: UpstreamConnection | null = null;
  headerTimer: NodeJS.Timeout | null = null;
  finished = false;
  /** The response head went to the client: failures now cut the client off. */
  responding = false;
  /** `res.end()` was called. */
  ended = false;
  /** The request body is completely written upstream (trivially true without a body). */
  bodySent = true;
  /** Whether the connection had carried requests before this one. */
  reused = false;
  /** Whether a stale pooled socket already made us send again. */
  resent = false;
  /** Listening to the client's response `drain` (response backpressure). */
  drainListening = false;
  /** When the request head was written (performance.now()), only for servers whose answer times are sampled (leasttime). */
  sentAt = 0;
  /**
   * Whether the request body is streamed from the client (then it cannot be replayed after a
   * stale-socket error). A body read into memory beforehand (`ctx.bufferedBody`) can be.
   */
  readonly streamsBody: boolean;
  /** The client's body had no length: it goes upstream chunked. */
  readonly chunkedBody: boolean;

  constructor(
    readonly ctx: RequestContext,
    readonly target: UpstreamTarget,
    readonly settings: ForwardSettings,
  ) {
    this.chunkedBody = ctx.bufferedBody == null && ctx.req.headers['transfer-encoding'] !== undefined;
    this.streamsBody = ctx.bufferedBody == null && hasRequestBody(ctx.req);
  }

  onResponseHead(status: number, message: string, headers: string[]): void {
    if (this.headerTimer !== null) {
      clearTimeout(this.headerTimer);
      this.headerTimer = null;
    }
    const { ctx, settings, target } = this;
    const res = ctx.res;
    if (this.finished || res.destroyed) {
      this.dropConnection();
      return;
    }
    if (this.sentAt !== 0) target.state.responseTimes?.add(performance.now() - this.sentAt);
    settings.passive?.answered(target.state, status, Date.now());
    const retry = ctx.retry;
    if (retry != null && retry.statusRanges !== null && settings.onRetryableStatus?.(ctx, target, status) === true) {
      // The balancer sends the request again; this answer and its connection are dropped.
      this.dropConnection();
      release(this);
      return;
    }
    this.responding = true;
    const overrides = ctx.responseHeaders;
    try {
      res.writeHead(status, message, overrides === null ? headers : withOverrides(headers, overrides));
    } catch (thrown) {
      // The reader validates what servers send, so this is a defect: answer 502 for this
      // request alone (nothing was written yet) and give the connection up.
      caughtAtBoundary(thrown, 'response head');
      this.responding = false;
      this.dropConnection();
      try {
        // The server's fields may still sit in the response: the 502 goes without them.
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        sendError(res, 502);
      } catch {
        res.destroy();
      }
    }
  }

  awaitsServer(): boolean {
    return this.bodySent;
  }

  onResponseBody(chunk: Buffer, last: boolean, lease: ReadLease | null): void {
    const res = this.ctx.res;
    // A chunk in a lent read buffer gives the buffer back once written (read-lease.ts).
    const written = lease === null ? undefined : lease.release;
    if (last) {
      this.ended = true;
      res.end(chunk, written);
      return;
    }
    if (!res.write(chunk, written)) {
      // The client reads slower than the server sends: stop reading upstream until it drains.
      this.connection?.socket.pause();
      if (!this.drainListening) {
        this.drainListening = true;
        res.on('drain', onClientDrain);
      }
    }
  }

  onResponseEnd(trailers: string[] | null): void {
    const connection = this.connection;
    this.connection = null;
    const bodySent = this.bodySent;
    if (!bodySent) stopReadingBody(this);
    if (connection !== null) {
      connection.socket.resume();
      connection.finish(bodySent);
    }
    if (!this.ended) {
      this.ended = true;
      if (trailers !== null) addTrailers(this.ctx.res, trailers);
      this.ctx.res.end();
    }
  }

  onConnectionDrain(): void {
    if (!this.bodySent) (this.ctx.bodySource ?? this.ctx.req).resume();
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
      caughtAtBoundary(thrown, 'upstream failure');
      this.ctx.res.destroy();
    }
  }

  private failed(error: NodeJS.ErrnoException): void {
    const connection = this.connection;
    this.connection = null;
    if (this.headerTimer !== null) {
      clearTimeout(this.headerTimer);
      this.headerTimer = null;
    }
    if (this.finished) return;
    const { ctx, target } = this;
    if (this.responding) {
      // Part of the response is already on its way: all we can do is cut the client off so it
      // sees a truncated response rather than a silently short one.
      ctx.res.destroy(error);
      return;
    }
    if (!this.bodySent) stopReadingBody(this);
    // The facts only this exchange knows; what follows from them is the retry policy's call.
    let facts = transportFacts(error);
    if (this.streamsBody) facts |= STREAMED_BODY;
    if (this.reused && !this.resent && connection !== null && !connection.pool.retired && !connection.reader.started) {
      facts |= STALE_SOCKET;
    }
    const decision = this.settings.onTransportError(ctx, target, error, facts);
    if (decision === 'resend-same') {
      this.resent = true;
      send(this, true);
      return;
    }
    target.state.failures++;
    if (decision === 'next-server') release(this);
    else sendError(ctx.res, (facts & TIMED_OUT) !== 0 ? 504 : 502);
  }

  /** Gives up the connection mid-exchange: it is closed, never pooled. */
  dropConnection(): void {
    const connection = this.connection;
    if (connection === null) return;
    this.connection = null;
    connection.destroy();
  }
}

/** Forwards the request in `ctx` to `target` and streams the response back to the client. */
export function forward(ctx: RequestContext, target: UpstreamTarget, settings: ForwardSettings): void {
  const exchange = new Exchange(ctx, target, settings);
  target.state.inFlight++;
  target.state.requests++;
  ctx.serverUrl = target.url;
  const res = ctx.res as WithExchange<ServerResponse>;
  // A retried request comes here again with the same response: one close listener is enough,
  // it finds the latest exchange on the symbol.
  if (res[EXCHANGE] === undefined) res.once('close', onClientClose);
  res[EXCHANGE] = exchange;
  send(exchange, false);
}

function send(exchange: Exchange, fresh: boolean): void {
  const { ctx, target, settings } = exchange;
  const req = ctx.req;
  const socket = req.socket;
  const body = ctx.bufferedBody;
  const streams = exchange.streamsBody && !fresh;
  const path = target.basePath + requestUri(ctx);
  const method = req.method ?? 'GET';
  const head = buildRequestHead(
    method,
    path,
    req.headers,
    plainAddress(socket.remoteAddress),
    ctx.scheme,
    socket.localPort ?? 0,
    settings.passHostHeader ? null : target.authority,
    body != null ? body.length : streams && exchange.chunkedBody ? -2 : -1,
  );
  const pool = target.pool(settings.transport);
  const connection = (fresh ? null : pool.takeIdle(Date.now())) ?? pool.open();
  exchange.connection = connection;
  exchange.reused = connection.requests > 0;
  if (target.state.responseTimes !== null) exchange.sentAt = performance.now();
  connection.begin(exchange, method !== 'HEAD');
  const responseHeaderTimeout = settings.transport.options.responseHeaderTimeout;
  if (responseHeaderTimeout > 0) {
    if (exchange.headerTimer !== null) clearTimeout(exchange.headerTimer);
    exchange.headerTimer = setTimeout(onHeaderTimeout, responseHeaderTimeout, exchange);
  }
  const upstream = connection.socket;
  if (body != null) {
    upstream.cork();
    upstream.write(head, 'latin1');
    if (body.length > 0) upstream.write(body);
    upstream.uncork();
  } else if (streams) {
    exchange.bodySent = false;
    upstream.write(head, 'latin1');
    const incoming = (ctx.bodySource ?? req) as WithExchange<Readable>;
    incoming[EXCHANGE] = exchange;
    incoming.on('data', onRequestData);
    incoming.on('end', onRequestEnd);
  } else {
    upstream.write(head, 'latin1');
  }
}

function onRequestData(this: WithExchange<Readable>, chunk: Buffer): void {
  const exchange = this[EXCHANGE];
  const connection = exchange?.connection;
  if (exchange === undefined || connection == null) return;
  const upstream = connection.socket;
  let flowing: boolean;
  if (exchange.chunkedBody) {
    if (chunk.length === 0) return;
    upstream.cork();
    upstream.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    upstream.write(chunk);
    flowing = upstream.write('\r\n', 'latin1');
    upstream.uncork();
  } else {
    flowing = upstream.write(chunk);
  }
  if (!flowing) this.pause();
}

function onRequestEnd(this: WithExchange<Readable>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  stopReadingBody(exchange);
  const connection = exchange.connection;
  if (connection === null) return;
  if (exchange.chunkedBody) connection.socket.write(`0\r\n${trailerSection(exchange.ctx.req.trailers)}\r\n`, 'latin1');
  exchange.bodySent = true;
}

/** Detaches the body listeners of the client's request (done, or no longer wanted). */
function stopReadingBody(exchange: Exchange): void {
  const req = (exchange.ctx.bodySource ?? exchange.ctx.req) as WithExchange<Readable>;
  if (req[EXCHANGE] !== exchange) return;
  req[EXCHANGE] = undefined;
  req.removeListener('data', onRequestData);
  req.removeListener('end', onRequestEnd);
  // Whatever is left of the body is read and dropped so the client connection stays usable.
  if (!req.readableEnded) req.resume();
}

function onHeaderTimeout(exchange: Exchange): void {
  exchange.headerTimer = null;
  exchange.connection?.fail(
    Object.assign(new Error('upstream response header timeout'), { code: 'SY_RESPONSE_HEADER_TIMEOUT' }),
  );
}

function onClientDrain(this: WithExchange<ServerResponse>): void {
  this[EXCHANGE]?.connection?.socket.resume();
}

/** The client's response closed: either it finished, or the client went away mid-way. */
function onClientClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  if (!this.writableFinished || exchange.connection !== null) {
    // The client is gone, or was answered by someone else (a 408 for a stalled body) while the
    // upstream exchange was still open: close the upstream connection so its socket and buffers
    // are freed (it is mid-exchange, so never pooled).
    exchange.dropConnection();
    if (!exchange.bodySent) stopReadingBody(exchange);
  }
  release(exchange);
}

function release(exchange: Exchange): void {
  if (exchange.finished) return;
  exchange.finished = true;
  if (exchange.headerTimer !== null) clearTimeout(exchange.headerTimer);
  exchange.target.state.inFlight--;
}

/**
 * Relays a chunked response's trailers (Node sends them after the last chunk to an HTTP/1.1
 * client, as a HEADERS frame to an HTTP/2 one). The reader validated them as header fields, so
 * Node's own check never throws here; if it did, the answer ends without them.
 */
function addTrailers(res: ServerResponse, trailers: string[]): void {
  // An object, not a pair list: HTTP/2's compatibility response takes only that form.
  const fields: Record<string, string | string[]> = {};
  for (let i = 0; i < trailers.length; i += 2) {
    const name = (trailers[i] as string).toLowerCase();
    const value = trailers[i + 1] as string;
    const seen = fields[name];
    fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  try {
    res.addTrailers(fields);
  } catch (thrown) {
    caughtAtBoundary(thrown, 'response trailers');
  }
}

/**
 * The client's request trailers as the lines of a last chunk (empty when there are none, the
 * usual case). Node's parsers (llhttp, nghttp2) validated them as header fields; fields that may
 * not be trailers and hop-by-hop ones stay behind.
 */
function trailerSection(trailers: NodeJS.Dict<string | string[]> | undefined): string {
  let lines = '';
  if (trailers === undefined) return lines;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined || !isForwardableTrailer(name)) continue;
    if (Array.isArray(value)) for (const item of value) lines += `${name}: ${item}\r\n`;
    else lines += `${name}: ${value}\r\n`;
  }
  return lines;
}
