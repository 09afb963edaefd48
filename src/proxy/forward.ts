/**
 * The forwarding engine: sends one request to one upstream server and streams the answer
 * back, with backpressure in both directions and no buffering of bodies.
 *
 * Listeners are module-level functions that find their per-request state through a symbol on
 * the emitter, so forwarding a request creates no closures.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PassiveHealthPolicy } from '../balancer/passive-health.js';
import type { RequestContext } from '../middlewares/types.js';
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.js';
import { buildRequestHeaders, plainAddress } from './request-headers.js';
import { sendError } from './responses.js';
import type { Transport } from './transport.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Per-service forwarding settings, resolved when the routing table is built. */
export interface ForwardSettings {
  /** Keep the client's Host header (Traefik's default) or send the server's authority. */
  readonly passHostHeader: boolean;
  readonly transport: Transport;
  /**
   * Called when the upstream failed before any byte of the response reached the client.
   * Returns true when it took the request over (retry elsewhere, passive health…).
   */
  readonly onTransportError?: (ctx: RequestContext, target: UpstreamTarget, error: NodeJS.ErrnoException) => boolean;
  /** Passive health of the service's servers: every answer is reported to it. */
  readonly passive?: PassiveHealthPolicy | null;
}

const EXCHANGE = Symbol('switchyard.exchange');

type WithExchange<T> = T & { [EXCHANGE]?: Exchange };

/** Errors that mean the request may be sent again: nothing reached the server's application. */
const RETRYABLE_ON_REUSED_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** State of one request on its way to one upstream server. */
class Exchange {
  upstreamReq: ClientRequest | null = null;
  upstreamRes: IncomingMessage | null = null;
  headerTimer: NodeJS.Timeout | null = null;
  finished = false;
  /**
   * Whether the request body is streamed from the client (then it cannot be replayed after a
   * stale-socket error). A body read into memory beforehand (`ctx.bufferedBody`) can be.
   */
  readonly streamsBody: boolean;

  constructor(
    readonly ctx: RequestContext,
    readonly target: UpstreamTarget,
    readonly settings: ForwardSettings,
  ) {
    const headers = ctx.req.headers;
    this.streamsBody =
      ctx.bufferedBody == null &&
      (headers['transfer-encoding'] !== undefined ||
        (headers['content-length'] !== undefined && headers['content-length'] !== '0'));
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

function send(exchange: Exchange, isRetry: boolean): void {
  const { ctx, target, settings } = exchange;
  const req = ctx.req;
  const socket = req.socket;
  const headers = buildRequestHeaders(req.headers, {
    remoteAddress: plainAddress(socket.remoteAddress),
    scheme: ctx.scheme,
    localPort: socket.localPort ?? 0,
    upstreamHost: settings.passHostHeader ? null : target.authority,
    upgrade: null,
  });
  const path = ctx.query === '' ? target.basePath + ctx.path : `${target.basePath + ctx.path}?${ctx.query}`;
  const https = target.protocol === 'https:';
  const upstreamReq = (https ? httpsRequest : httpRequest)({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path,
    headers,
    agent: https ? settings.transport.https : settings.transport.http,
    // The Host header is set explicitly above; do not let Node derive another.
    setHost: false,
  }) as WithExchange<ClientRequest>;
  upstreamReq[EXCHANGE] = exchange;
  exchange.upstreamReq = upstreamReq;
  upstreamReq.on('response', onUpstreamResponse);
  upstreamReq.on('error', onUpstreamError);
  const options = settings.transport.options;
  if (options.dialTimeout > 0) upstreamReq.on('socket', onUpstreamSocket);
  if (options.responseHeaderTimeout > 0) {
    exchange.headerTimer = setTimeout(onHeaderTimeout, options.responseHeaderTimeout, exchange);
  }
  const body = ctx.bufferedBody;
  if (body != null) {
    upstreamReq.end(body);
  } else if (exchange.streamsBody && !isRetry) {
    req.pipe(upstreamReq);
  } else {
    upstreamReq.end();
  }
}

function onUpstreamSocket(this: WithExchange<ClientRequest>, socket: import('node:net').Socket): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || !socket.connecting) return;
  socket.setTimeout(exchange.settings.transport.options.dialTimeout, onDialTimeout);
  socket.once('connect', onDialConnected);
}

function onDialTimeout(this: import('node:net').Socket): void {
  this.destroy(Object.assign(new Error('upstream dial timeout'), { code: 'SY_DIAL_TIMEOUT' }));
}

function onDialConnected(this: import('node:net').Socket): void {
  this.setTimeout(0);
}

function onHeaderTimeout(exchange: Exchange): void {
  exchange.headerTimer = null;
  exchange.upstreamReq?.destroy(
    Object.assign(new Error('upstream response header timeout'), { code: 'SY_RESPONSE_HEADER_TIMEOUT' }),
  );
}

function onUpstreamResponse(this: WithExchange<ClientRequest>, upstreamRes: IncomingMessage): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  if (exchange.headerTimer !== null) {
    clearTimeout(exchange.headerTimer);
    exchange.headerTimer = null;
  }
  const res = exchange.ctx.res;
  if (exchange.finished || res.destroyed) {
    upstreamRes.resume();
    return;
  }
  exchange.upstreamRes = upstreamRes;
  exchange.settings.passive?.answered(exchange.target.state, upstreamRes.statusCode ?? 502, Date.now());
  (upstreamRes as WithExchange<IncomingMessage>)[EXCHANGE] = exchange;
  res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders(upstreamRes, exchange.ctx));
  upstreamRes.on('error', onUpstreamBodyError);
  upstreamRes.on('aborted', onUpstreamBodyAborted);
  upstreamRes.pipe(res);
}

/** Upstream response headers minus hop-by-hop ones, plus the middlewares' additions, as a raw list. */
function responseHeaders(upstreamRes: IncomingMessage, ctx: RequestContext): string[] {
  const raw = upstreamRes.rawHeaders;
  const named = connectionTokens(upstreamRes.headers.connection);
  const overrides = ctx.responseHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    if (overrides !== null && isOverridden(overrides, lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  if (overrides !== null) {
    for (const [name, value] of overrides) if (value !== '') out.push(name, value);
  }
  return out;
}

function isOverridden(overrides: Array<[string, string]>, lower: string): boolean {
  // Vary accumulates (a CORS middleware adds `Origin` to what the server varies on).
  if (lower === 'vary') return false;
  for (const [name, value] of overrides) {
    // Set-Cookie may repeat: a sticky cookie adds to the server's cookies instead of replacing
    // them (an empty value still removes them).
    if (name.toLowerCase() === lower && (value === '' || lower !== 'set-cookie')) return true;
  }
  return false;
}

function onUpstreamError(this: WithExchange<ClientRequest>, error: NodeJS.ErrnoException): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || exchange.finished) return;
  if (exchange.headerTimer !== null) {
    clearTimeout(exchange.headerTimer);
    exchange.headerTimer = null;
  }
  const { ctx, target } = exchange;
  if (exchange.upstreamRes !== null) {
    // Part of the response is already on its way: all we can do is cut the client off so it
    // sees a truncated response rather than a silently short one.
    ctx.res.destroy(error);
    return;
  }
  // A pooled keep-alive socket that the server closed just as we reused it: nothing reached
  // the application, so an idempotent, bodiless request is sent once more on a fresh socket.
  if (this.reusedSocket && !exchange.streamsBody && RETRYABLE_ON_REUSED_SOCKET.has(error.code ?? '')) {
    ctx.retries = (ctx.retries ?? 0) + 1;
    send(exchange, true);
    return;
  }
  target.state.failures++;
  if (exchange.settings.onTransportError?.(ctx, target, error)) {
    release(exchange);
    return;
  }
  const timeout = error.code === 'SY_RESPONSE_HEADER_TIMEOUT';
  sendError(ctx.res, timeout ? 504 : 502);
}

function onUpstreamBodyError(this: WithExchange<IncomingMessage>, error: Error): void {
  const exchange = this[EXCHANGE];
  if (exchange !== undefined && !exchange.finished) exchange.ctx.res.destroy(error);
}

function onUpstreamBodyAborted(this: WithExchange<IncomingMessage>): void {
  const exchange = this[EXCHANGE];
  if (exchange !== undefined && !exchange.finished) exchange.ctx.res.destroy();
}

/** The client's response closed: either it finished, or the client went away mid-way. */
function onClientClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  if (!this.writableFinished) {
    // The client is gone: stop the upstream request so its socket and buffers are freed.
    exchange.upstreamReq?.destroy();
  }
  release(exchange);
}

function release(exchange: Exchange): void {
  if (exchange.finished) return;
  exchange.finished = true;
  if (exchange.headerTimer !== null) clearTimeout(exchange.headerTimer);
  exchange.target.state.inFlight--;
}
