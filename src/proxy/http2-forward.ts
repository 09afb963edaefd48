/**
 * Forwarding over HTTP/2 to a server (`h2c://` URLs, and `https://` servers whose ALPN chose
 * `h2`): one stream per request on a pooled session (http2-sessions.ts), with the same settings,
 * timeouts, passive health and retry facts as the HTTP/1.1 engine (forward.ts), and trailers
 * carried both ways — what gRPC needs (`grpc-status` arrives as a response trailer).
 *
 * What the server sends is checked by Node's HTTP/2 stack (nghttp2: framing, header validity,
 * content-length against DATA); anything it refuses is a stream error here, which is a 502 for
 * this request alone before the answer started, a cut response after.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { type ClientHttp2Stream, constants } from 'node:http2';
import { STREAMED_BODY, TIMED_OUT } from '../balancer/retry-facts.js';
import { caughtAtBoundary } from '../core/last-resort.js';
import type { RequestContext } from '../core/request-context.js';
import { hasRequestBody } from './buffered-body.js';
import type { ForwardSettings } from './forward.js';
import { HOP_BY_HOP } from './hop-by-hop.js';
import type { UpstreamSession } from './http2-sessions.js';
import { buildHttp2RequestHeaders, plainAddress, requestUri } from './request-headers.js';
import { withOverrides } from './response-overrides.js';
import { isForwardableTrailer } from './response-reader.js';
import { sendError } from './responses.js';
import { transportFacts } from './transport-errors.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Called when the server turned out to speak HTTP/1.1 only (an `https://` server's ALPN). */
export type Http1Fallback = (ctx: RequestContext, target: UpstreamTarget, settings: ForwardSettings) => void;

/** One request on its way to one HTTP/2 server. */
class Http2Exchange {
  stream: ClientHttp2Stream | null = null;
  upstream: UpstreamSession | null = null;
  headerTimer: NodeJS.Timeout | null = null;
  finished = false;
  responding = false;
  /** The request body went completely (trivially true without one). */
  bodySent = true;
  resent = false;
  readonly streamsBody: boolean;

  constructor(
    readonly ctx: RequestContext,
    readonly target: UpstreamTarget,
    readonly settings: ForwardSettings,
    readonly fallback: Http1Fallback,
  ) {
    this.streamsBody = ctx.bufferedBody == null && hasRequestBody(ctx.req);
  }

  /** The server's response head; `endStream`: nothing follows it (gRPC's "trailers-only"). */
  onResponse(headers: IncomingHttpHeaders, endStream: boolean): void {
    this.clearHeaderTimer();
    const { ctx, settings } = this;
    const res = ctx.res;
    if (this.finished || res.destroyed) {
      this.cancel();
      return;
    }
    const status = Number(headers[':status']);
    this.responding = true;
    settings.passive?.answered(this.target.state, status, Date.now());
    const list = responseList(headers);
    const overrides = ctx.responseHeaders;
    const fields = overrides === null ? list : withOverrides(list, overrides);
    try {
      if (endStream) {
        // One HEADERS frame that ends the stream, as the server sent it: `writeHead` would send
        // the head at once and end the stream with a separate frame, and a gRPC client reads its
        // status only from the frame that ends the stream.
        res.statusCode = status;
        setHeaders(res, fields);
        res.end();
        return;
      }
      res.writeHead(status, fields);
    } catch (thrown) {
      caughtAtBoundary(thrown, 'http2 response head');
      this.responding = false;
      this.cancel();
      sendError(res, 502);
    }
  }

  /** The stream closed: the end of a complete answer, or a failure. */
  onClose(stream: ClientHttp2Stream): void {
    this.clearHeaderTimer();
    const upstream = this.upstream;
    if (this.stream === stream) {
      this.stream = null;
      this.upstream = null;
      upstream?.streamClosed();
    } else {
      upstream?.streamClosed();
      return;
    }
    if (this.finished) return;
    const res = this.ctx.res;
    if (this.responding) {
      if (stream.rstCode === constants.NGHTTP2_NO_ERROR && stream.readableEnded) {
        if (!res.writableEnded) res.end();
      } else {
        res.destroy();
      }
      return;
    }
    const refused =
      stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ||
      (upstream !== null && upstream.goawayLastStream >= 0 && (stream.id ?? 0) > upstream.goawayLastStream);
    const code = this.failure ?? (refused ? 'SY_STREAM_REFUSED' : 'SY_STREAM_RESET');
    this.failed(Object.assign(new Error(`upstream stream closed (${code}, rst ${stream.rstCode})`), { code }));
  }

  /** The reason set by a timeout before it closed the stream. */
  failure: string | null = null;

  /** Before any answer: the retry policy decides (another server, again, or 502/504). */
  failed(error: NodeJS.ErrnoException): void {
    try {
      this.decide(error);
    } catch (thrown) {
      caughtAtBoundary(thrown, 'http2 upstream failure');
      this.ctx.res.destroy();
    }
  }

  private decide(error: NodeJS.ErrnoException): void {
    this.clearHeaderTimer();
    if (this.finished) return;
    const { ctx, target } = this;
    if (this.responding) {
      ctx.res.destroy(error);
      return;
    }
    if (!this.bodySent) stopReadingBody(this);
    let facts = transportFacts(error);
    if (this.streamsBody) facts |= STREAMED_BODY;
    const decision = this.settings.onTransportError(ctx, target, error, facts);
    if (decision === 'resend-same') {
      this.resent = true;
      this.failure = null;
      send(this);
      return;
    }
    target.state.failures++;
    if (decision === 'next-server') release(this);
    else sendError(ctx.res, (facts & TIMED_OUT) !== 0 ? 504 : 502);
  }

  clearHeaderTimer(): void {
    if (this.headerTimer !== null) {
      clearTimeout(this.headerTimer);
      this.headerTimer = null;
    }
  }

  /** Gives up the stream (the client left, or its answer cannot be relayed). */
  cancel(): void {
    const stream = this.stream;
    if (stream !== null && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  }
}

const EXCHANGE = Symbol('switchyard.h2exchange');

type WithExchange<T> = T & { [EXCHANGE]?: Http2Exchange };

/** Forwards the request in `ctx` to an HTTP/2 server and relays the answer, trailers included. */
export function forwardHttp2(
  ctx: RequestContext,
  target: UpstreamTarget,
  settings: ForwardSettings,
  fallback: Http1Fallback,
): void {
  const exchange = new Http2Exchange(ctx, target, settings, fallback);
  target.state.inFlight++;
  target.state.requests++;
  ctx.serverUrl = target.url;
  const res = ctx.res as WithExchange<ServerResponse>;
  if (res[EXCHANGE] === undefined) res.once('close', onClientClose);
  res[EXCHANGE] = exchange;
  send(exchange);
}

function send(exchange: Http2Exchange): void {
  const origin = exchange.settings.transport.http2.get(
    exchange.target.protocol === 'https:',
    exchange.target.hostname,
    exchange.target.port,
  );
  origin.acquire((error, upstream) => {
    try {
      if (exchange.finished) return;
      if (error !== null) {
        exchange.failed(error);
        return;
      }
      if (upstream === null) {
        // An https:// server that chose HTTP/1.1: this request goes through that client.
        release(exchange);
        exchange.fallback(exchange.ctx, exchange.target, exchange.settings);
        return;
      }
      openStream(exchange, upstream);
    } catch (thrown) {
      caughtAtBoundary(thrown, 'http2 forward');
      sendError(exchange.ctx.res, 502);
    }
  });
}

function openStream(exchange: Http2Exchange, upstream: UpstreamSession): void {
  const { ctx, target, settings } = exchange;
  const req = ctx.req;
  const socket = req.socket;
  const body = ctx.bufferedBody;
  const streams = exchange.streamsBody;
  const headers = buildHttp2RequestHeaders(
    req.method ?? 'GET',
    target.basePath + requestUri(ctx),
    req.headers,
    plainAddress(socket.remoteAddress),
    ctx.scheme,
    target.protocol === 'https:' ? 'https' : 'http',
    socket.localPort ?? 0,
    settings.passHostHeader ? null : target.authority,
    body != null ? body.length : -1,
  );
  const session = upstream.session;
  if (session === null || session.closed || session.destroyed) {
    exchange.failed(Object.assign(new Error('upstream session closed'), { code: 'SY_STREAM_REFUSED' }));
    return;
  }
  const noBody = body == null && !streams;
  // A streamed body may end with trailers (gRPC clients rarely send any, but may).
  const stream = session.request(headers, { endStream: noBody, waitForTrailers: streams });
  upstream.active++;
  exchange.stream = stream;
  exchange.upstream = upstream;
  const tagged = stream as WithExchange<ClientHttp2Stream>;
  tagged[EXCHANGE] = exchange;
  stream.on('response', onUpstreamResponse);
  stream.on('data', onUpstreamData);
  stream.on('trailers', onUpstreamTrailers);
  stream.on('error', onUpstreamError);
  stream.on('close', onUpstreamClose);
  stream.on('end', onUpstreamEnd);
  stream.on('wantTrailers', onWantTrailers);
  const transport = settings.transport.options;
  if (transport.responseHeaderTimeout > 0) {
    exchange.headerTimer = setTimeout(onHeaderTimeout, transport.responseHeaderTimeout, exchange);
  }
  if (transport.readTimeout > 0) stream.setTimeout(transport.readTimeout, onStreamTimeout);
  if (body != null) {
    stream.end(body);
  } else if (streams) {
    exchange.bodySent = false;
    // A body from elsewhere than the client's stream (the buffering middleware's file, grpcWeb's
    // decoded text body) is read in its place.
    const incoming = (ctx.bodySource ?? req) as WithExchange<typeof req>;
    incoming[EXCHANGE] = exchange;
    incoming.on('data', onRequestData);
    incoming.on('end', onRequestEnd);
    stream.on('drain', onUpstreamDrain);
  }
}

/** The server's header list as a raw list for `writeHead`, without pseudo or hop-by-hop fields. */
function responseList(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) out.push(name, item);
    else out.push(name, String(value));
  }
  return out;
}

function onUpstreamResponse(this: WithExchange<ClientHttp2Stream>, headers: IncomingHttpHeaders, flags: number): void {
  this[EXCHANGE]?.onResponse(headers, (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0);
}

/** Sets a raw name/value list on a response not yet sent (repeated names become lists). */
function setHeaders(res: ServerResponse, list: string[]): void {
  const grouped = new Map<string, string[]>();
  for (let i = 0; i < list.length; i += 2) {
    const name = (list[i] as string).toLowerCase();
    const values = grouped.get(name);
    if (values === undefined) grouped.set(name, [list[i + 1] as string]);
    else values.push(list[i + 1] as string);
  }
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
}

function onUpstreamData(this: WithExchange<ClientHttp2Stream>, chunk: Buffer): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || !exchange.responding) return;
  const res = exchange.ctx.res as WithExchange<ServerResponse>;
  if (!res.write(chunk)) {
    this.pause();
    res.once('drain', onClientDrain);
  }
}

function onUpstreamTrailers(this: WithExchange<ClientHttp2Stream>, trailers: IncomingHttpHeaders): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || !exchange.responding) return;
  const list: Record<string, string | string[]> = {};
  let any = false;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined || name.charCodeAt(0) === 58 || !isForwardableTrailer(name)) continue;
    list[name] = value as string | string[];
    any = true;
  }
  // Towards an HTTP/1.1 client Node sends trailers only on a chunked body; over HTTP/2 always.
  if (!any) return;
  try {
    exchange.ctx.res.addTrailers(list);
  } catch (thrown) {
    // Node validates trailer fields as it validates headers: a server's odd trailer costs this
    // answer its trailers (and its completeness), never the process.
    caughtAtBoundary(thrown, 'http2 response trailers');
    exchange.ctx.res.destroy();
  }
}

function onUpstreamEnd(this: WithExchange<ClientHttp2Stream>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || !exchange.responding) return;
  const res = exchange.ctx.res;
  if (!res.writableEnded) res.end();
}

function onUpstreamError(this: WithExchange<ClientHttp2Stream>, _error: Error): void {
  // The 'close' that follows says what happened (rstCode); nothing to do twice.
}

function onUpstreamClose(this: WithExchange<ClientHttp2Stream>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  this[EXCHANGE] = undefined;
  try {
    exchange.onClose(this);
  } catch (thrown) {
    caughtAtBoundary(thrown, 'http2 upstream close');
    exchange.ctx.res.destroy();
  }
}

function onWantTrailers(this: WithExchange<ClientHttp2Stream>): void {
  const exchange = this[EXCHANGE];
  const trailers = exchange?.ctx.req.trailers;
  const out: Record<string, string> = {};
  if (trailers !== undefined) {
    for (const name in trailers) {
      const value = trailers[name];
      if (value === undefined || name.charCodeAt(0) === 58 || !isForwardableTrailer(name)) continue;
      out[name] = value;
    }
  }
  // An empty trailer section still ends the stream (a HEADERS frame with END_STREAM).
  try {
    this.sendTrailers(out);
  } catch (thrown) {
    caughtAtBoundary(thrown, 'http2 request trailers');
    this.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}

function onUpstreamDrain(this: WithExchange<ClientHttp2Stream>): void {
  const exchange = this[EXCHANGE];
  if (exchange !== undefined && !exchange.bodySent) (exchange.ctx.bodySource ?? exchange.ctx.req).resume();
}

function onRequestData(this: WithExchange<RequestContext['req']>, chunk: Buffer): void {
  const stream = this[EXCHANGE]?.stream;
  if (stream == null) return;
  if (!stream.write(chunk)) this.pause();
}

function onRequestEnd(this: WithExchange<RequestContext['req']>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  stopReadingBody(exchange);
  exchange.bodySent = true;
  const stream = exchange.stream;
  if (stream !== null && !stream.closed) stream.end();
}

function stopReadingBody(exchange: Http2Exchange): void {
  const req = (exchange.ctx.bodySource ?? exchange.ctx.req) as WithExchange<RequestContext['req']>;
  if (req[EXCHANGE] !== exchange) return;
  req[EXCHANGE] = undefined;
  req.removeListener('data', onRequestData);
  req.removeListener('end', onRequestEnd);
  if (!req.readableEnded) req.resume();
}

function onHeaderTimeout(exchange: Http2Exchange): void {
  exchange.headerTimer = null;
  exchange.failure = 'SY_RESPONSE_HEADER_TIMEOUT';
  exchange.cancel();
}

function onStreamTimeout(this: WithExchange<ClientHttp2Stream>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  // A slow client body is the entry point's readTimeout's business, not the server's fault.
  if (!exchange.bodySent) return;
  exchange.failure = 'SY_UPSTREAM_READ_TIMEOUT';
  exchange.cancel();
}

function onClientDrain(this: WithExchange<ServerResponse>): void {
  const stream = this[EXCHANGE]?.stream;
  if (stream != null && !stream.destroyed) stream.resume();
}

function onClientClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  if (!this.writableFinished || exchange.stream !== null) {
    exchange.cancel();
    if (!exchange.bodySent) stopReadingBody(exchange);
  }
  release(exchange);
}

function release(exchange: Http2Exchange): void {
  if (exchange.finished) return;
  exchange.finished = true;
  exchange.clearHeaderTimer();
  exchange.target.state.inFlight--;
}
