/**
 * The HTTP/2 protocol server of an entry point: a `node:http2` server that never listens itself
 * and serves the connections handed to it — a TLS socket whose ALPN chose `h2`, or a plaintext
 * one that began with the HTTP/2 connection preface (h2c with prior knowledge, h2c-stage.ts).
 *
 * Requests reach the same handler as HTTP/1.1 ones through Node's compatibility objects, adapted
 * once here, at the boundary, so nothing behind it branches on the protocol:
 * - the request's pseudo-headers leave `headers` (`:authority` becomes `host` when the client
 *   sent none), so header loops see what an HTTP/1.1 request would have;
 * - a body of unknown length (DATA frames without `content-length`, gRPC's way) is announced as
 *   `transfer-encoding: chunked`, which is what it becomes towards an HTTP/1.1 server;
 * - the response drops what HTTP/2 forbids (connection-specific headers, a second value of a
 *   single-valued field, the reason phrase) instead of letting Node throw on them
 *   (proxy/http2-fields.ts).
 *
 * Abuse bounds (docs/configuration.md, `http2`): concurrent streams per connection (nghttp2
 * refuses more with REFUSED_STREAM), the header list in bytes and lines (RST_STREAM
 * ENHANCE_YOUR_CALM beyond the hard limit; 431 from request-checks.ts beyond `maxHeaderCount`),
 * and a budget of streams the client resets before their answer (CVE-2023-44487, "rapid reset"):
 * past it the connection gets GOAWAY ENHANCE_YOUR_CALM and is closed. Requests are handled on the
 * turn after they arrive, so a stream reset in the same read costs no routing and no upstream
 * connection. Node's nghttp2 has its own reset limit (about 1,000 per connection, GOAWAY); when a
 * whole flood arrives in one read (the h2c stage hands its first bytes over at once) that one
 * may answer first.
 *
 * Known limit: after a connection error (GOAWAY PROTOCOL_ERROR for a broken frame) Node stops
 * reading the connection but gives no event; it is closed by the idle timeout.
 */

import { randomBytes } from 'node:crypto';
import {
  constants,
  createServer,
  Http2ServerRequest,
  Http2ServerResponse,
  type Http2Session,
  type Http2Stream,
  type IncomingHttpHeaders,
  type Http2Server as NodeHttp2Server,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { caughtAtBoundary } from '../../core/last-resort.js';
import { http2FieldsFromList, http2FieldsFromObject, http2Value } from '../../proxy/http2-fields.js';
import type { ConnectionHandler } from './listener.js';

/** Limits of the HTTP/2 server (ms, bytes, counts). */
export interface Http2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS (Traefik `http2.maxConcurrentStreams`, default 250). */
  readonly maxConcurrentStreams: number;
  /** HPACK table the client may make us keep (Traefik `http2.maxDecoderHeaderTableSize`, 4096). */
  readonly maxDecoderHeaderTableSize: number;
  /** Largest uncompressed header list (SETTINGS_MAX_HEADER_LIST_SIZE: `http.maxHeaderBytes`). */
  readonly maxHeaderBytes: number;
  /** Most header lines before 431 (`http.maxHeaderCount`). */
  readonly maxHeaderCount: number;
  /** A connection with no stream activity for this long is closed with GOAWAY (idleTimeout). */
  readonly idleTimeout: number;
  /** A request body silent for this long is answered 408 (respondingTimeouts.readTimeout; 0 = none). */
  readonly readTimeout?: number;
  /** Streams a client may reset before their answer, per second and connection, before GOAWAY. */
  readonly resetBudget?: number;
}

/** What the server calls for each request. */
export interface Http2Handlers {
  request(req: Http2ServerRequest, res: Http2ServerResponse): void;
}

/** An HTTP/2 server and the handler that gives it a connection. */
export interface Http2Server {
  readonly server: NodeHttp2Server;
  readonly serve: ConnectionHandler;
  /** Sessions open now (graceful shutdown sends each a GOAWAY). */
  readonly sessions: ReadonlySet<Http2Session>;
}

/** Streams reset early per second per connection before GOAWAY, by default. */
export const DEFAULT_RESET_BUDGET = 100;

/** Request pseudo-headers, removed from `headers` once read. */
const PSEUDO_HEADERS = [':method', ':path', ':authority', ':scheme', ':protocol'] as const;

/**
 * An HTTP/2 request with the pseudo-headers read into fields: `method` and `url` as on an
 * HTTP/1.1 request, `headers` holding only real header fields (and `host`).
 */
export class EdgeHttp2Request extends Http2ServerRequest {
  // Read by the `method` and `url` accessors defined below the class.
  requestMethod: string;
  requestUrl: string | undefined;
  /** `host` named another authority than `:authority` (RFC 9113 §8.3.1: malformed). */
  readonly authorityMismatch: boolean;
  /** Header fields the client sent, pseudo-headers excluded (for the `maxHeaderCount` check). */
  readonly fieldCount: number;
  /** The header list's size in HTTP/2's measure (for the `maxHeaderBytes` check). */
  readonly headerListSize: number;
  /**
   * A WebSocket opened by extended CONNECT (RFC 8441, `:protocol: websocket`). The request reads
   * from here on as the HTTP/1.1 handshake an HTTP/1.1 server expects (RFC 6455: GET, Upgrade,
   * a fresh Sec-WebSocket-Key whose answer the proxy checks, since the client has none to check).
   */
  readonly webSocket: boolean;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: object, rawHeaders: string[]) {
    super(stream, headers, options, rawHeaders);
    this.requestMethod = (headers[':method'] as string | undefined) ?? 'GET';
    this.requestUrl = headers[':path'] as string | undefined;
    const protocol = headers[':protocol'];
    this.webSocket =
      this.requestMethod === 'CONNECT' && typeof protocol === 'string' && protocol.toLowerCase() === 'websocket';
    const authority = headers[':authority'];
    const host = headers.host;
    this.authorityMismatch =
      typeof authority === 'string' && typeof host === 'string' && host.toLowerCase() !== authority.toLowerCase();
    if (host === undefined && typeof authority === 'string') headers.host = authority;
    let pseudo = 0;
    for (const name of PSEUDO_HEADERS) {
      if (headers[name] !== undefined) {
        pseudo++;
        delete headers[name];
      }
    }
    this.fieldCount = rawHeaders.length / 2 - pseudo;
    // The header list's size as HTTP/2 counts it (RFC 9113 §6.5.2: name + value + 32 per field),
    // pseudo-headers included: the same limit as an HTTP/1.1 head (`http.maxHeaderBytes`).
    let size = 0;
    for (let i = 0; i < rawHeaders.length; i++) size += (rawHeaders[i] as string).length;
    this.headerListSize = size + 16 * rawHeaders.length;
    // A body whose length nobody announced arrives as DATA frames until END_STREAM: towards an
    // HTTP/1.1 server it is chunked, and saying so here is what makes the proxy stream it.
    if (this.webSocket) {
      this.requestMethod = 'GET';
      headers.upgrade = 'websocket';
      headers.connection = 'Upgrade';
      headers['sec-websocket-key'] = randomBytes(16).toString('base64');
    } else if (!stream.endAfterHeaders && headers['content-length'] === undefined) {
      headers['transfer-encoding'] = 'chunked';
    }
  }

  /** Whether the client announced a CONNECT other than a WebSocket's (tunnels are not served). */
  get isConnect(): boolean {
    return this.requestMethod === 'CONNECT';
  }
}

// Node reads `method` and `url` from the pseudo-headers removed above: they read the fields instead.
Object.defineProperties(EdgeHttp2Request.prototype, {
  method: {
    get(this: { requestMethod: string }) {
      return this.requestMethod;
    },
    configurable: true,
  },
  url: {
    get(this: { requestUrl: string | undefined }) {
      return this.requestUrl ?? '';
    },
    set(this: { requestUrl: string | undefined }, value: string) {
      this.requestUrl = value;
    },
    configurable: true,
  },
});

/** An HTTP/2 response that drops what HTTP/2 cannot carry instead of throwing on it. */
export class EdgeHttp2Response extends Http2ServerResponse {
  /** Body bytes written (statistics: an HTTP/2 connection's byte counters mix its streams). */
  bodyBytes = 0;

  override write(chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean {
    if (chunk != null) this.bodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return (super.write as (...args: unknown[]) => boolean)(chunk, encoding, callback);
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (chunk != null && typeof chunk !== 'function') {
      this.bodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
    }
    return (super.end as (...args: unknown[]) => this)(chunk, encoding, callback);
  }

  override writeHead(
    statusCode: number,
    message?: string | OutgoingHttpHeaders | string[],
    headers?: OutgoingHttpHeaders | string[],
  ): this {
    const fields = typeof message === 'string' ? headers : message;
    if (fields === undefined) return super.writeHead(statusCode);
    // Node takes a flat name/value list too; its type does not say so. Either way, what HTTP/2
    // refuses (connection-specific fields, a single-valued field twice) is dropped, not thrown.
    const clean = Array.isArray(fields) ? http2FieldsFromList(fields) : http2FieldsFromObject(fields);
    return super.writeHead(statusCode, clean as OutgoingHttpHeaders);
  }

  override setHeader(name: string, value: number | string | readonly string[]): this {
    const clean = http2Value(name, value);
    if (clean !== null) super.setHeader(name, clean);
    return this;
  }

  /** Trailers as HTTP/2 takes them: Node would throw on a bad one only when sending them, in its own callback. */
  override addTrailers(headers: OutgoingHttpHeaders): void {
    super.addTrailers(http2FieldsFromObject(headers));
  }
}

const RESETS = Symbol('switchyard.h2resets');

/** Early resets counted in the current one-second window of a session. */
interface ResetWindow {
  start: number;
  count: number;
  readonly budget: number;
}

/** Streams open on a session now (an idle session with open streams is not closed). */
const OPEN_STREAMS = Symbol('switchyard.h2openStreams');

type CountedSession = Http2Session & { [RESETS]?: ResetWindow; [OPEN_STREAMS]?: number };

const SESSION = Symbol('switchyard.h2session');

/** A stream remembers its session (Node forgets it once the stream is destroyed). */
type CountedStream = Http2Stream & { [SESSION]?: CountedSession | undefined };

/** Creates the HTTP/2 server for one entry point. */
export function createHttp2Server(options: Http2Options, handlers: Http2Handlers): Http2Server {
  const budget = options.resetBudget ?? DEFAULT_RESET_BUDGET;
  const server = createServer(
    {
      Http2ServerRequest: EdgeHttp2Request as unknown as typeof Http2ServerRequest,
      Http2ServerResponse: EdgeHttp2Response as unknown as typeof Http2ServerResponse,
      // Pseudo-headers count as pairs for Node; one pair more than `maxHeaderCount` allows is let
      // through so that request-checks.ts answers 431 rather than a bare stream reset.
      maxHeaderListPairs: options.maxHeaderCount + PSEUDO_HEADERS.length + 1,
      // Streams refused beyond the concurrency limit before the connection is dropped.
      maxSessionRejectedStreams: 100,
      // Frames nghttp2 rejects (refused streams among them) before Node drops the connection.
      maxSessionInvalidFrames: 100,
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams,
        maxHeaderListSize: options.maxHeaderBytes,
        headerTableSize: options.maxDecoderHeaderTableSize,
        enablePush: false,
        // Extended CONNECT (RFC 8441): WebSockets over HTTP/2, bridged to HTTP/1.1 servers.
        enableConnectProtocol: true,
      },
    },
    (req, res) => {
      // Handled on the next turn: a stream the client reset in the same read (the rapid-reset
      // shape) is closed by then and costs no routing and no upstream connection.
      setImmediate(runRequest, handlers, req, res, options.readTimeout ?? 0);
    },
  );
  const sessions = new Set<Http2Session>();
  server.on('session', (session: CountedSession) => {
    sessions.add(session);
    session[RESETS] = { start: 0, count: 0, budget };
    session.once('close', () => sessions.delete(session));
    // A protocol error or a client that goes away costs this session only.
    session.on('error', ignore);
    if (options.idleTimeout > 0) session.setTimeout(options.idleTimeout, closeIdle);
  });
  server.on('stream', (stream: CountedStream) => {
    const session = stream.session as CountedSession;
    stream[SESSION] = session;
    session[OPEN_STREAMS] = (session[OPEN_STREAMS] ?? 0) + 1;
    stream.on('close', countReset);
    stream.on('error', ignore);
  });
  const serve = (socket: Socket) => {
    server.emit('connection', socket);
  };
  return { server, serve, sessions };
}

function runRequest(
  handlers: Http2Handlers,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  readTimeout: number,
): void {
  const stream = res.stream;
  if (stream.destroyed || stream.closed) return;
  // A WebSocket's stream carries its frames as the request "body" for as long as it lives:
  // silence there is an idle conversation, not a stalled upload.
  if (readTimeout > 0 && !stream.endAfterHeaders && !(req as EdgeHttp2Request).webSocket) {
    // A body that stops coming holds a server connection: bounded like HTTP/1.1's (408).
    stream.setTimeout(readTimeout, onSlowBody);
    req.once('end', () => stream.setTimeout(0));
  }
  try {
    handlers.request(req, res);
  } catch (thrown) {
    caughtAtBoundary(thrown, 'http2 request');
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}

/** The request body stalled for readTimeout: 408 when nothing was answered yet, else a reset. */
function onSlowBody(this: ServerHttp2Stream): void {
  if (this.destroyed || this.closed) return;
  if (!this.headersSent) {
    this.respond({ ':status': 408, 'content-length': '0' }, { endStream: true });
    // The client may still be sending: the stream is ended from our side too.
    this.close(constants.NGHTTP2_NO_ERROR);
  } else {
    this.close(constants.NGHTTP2_CANCEL);
  }
}

/**
 * An idle session is closed gracefully: GOAWAY, streams in flight finish. This is also what
 * closes a connection nghttp2 gave up on (it sent GOAWAY for a protocol error and stopped reading,
 * with no event for us to act on sooner).
 */
/**
 * No frame for idleTimeout: a connection with nothing open is closed (GOAWAY). One with a stream
 * still open (a WebSocket or an event stream between messages) is kept, as HTTP/1.1 keeps a
 * connection whose request is running; the timer starts again with the next frame.
 */
function closeIdle(this: CountedSession): void {
  if ((this[OPEN_STREAMS] ?? 0) > 0) return;
  this.close();
}

/**
 * A stream closed: one reset before its answer ended counts against the connection's budget.
 * More than the budget in one second is the rapid-reset shape (each one made us start work the
 * client never waits for): GOAWAY ENHANCE_YOUR_CALM.
 */
function countReset(this: CountedStream): void {
  const session = this[SESSION];
  this[SESSION] = undefined;
  if (session !== undefined) session[OPEN_STREAMS] = (session[OPEN_STREAMS] ?? 1) - 1;
  // Only a stream reset before its answer started is the attack's shape: resets of answered
  // streams (a client leaving a download, the proxy cutting a failed upstream's answer or a
  // tunnel) are ordinary and must not cost the connection's other streams.
  if (this.rstCode === constants.NGHTTP2_NO_ERROR || this.rstCode === undefined) return;
  if ((this as unknown as ServerHttp2Stream).headersSent) return;
  const window = session?.[RESETS];
  if (session === undefined || window === undefined || session.destroyed) return;
  const now = Date.now();
  if (now - window.start >= 1_000) {
    window.start = now;
    window.count = 0;
  }
  if (++window.count > window.budget) {
    // Node's destroy(code) sends GOAWAY with that code and closes at once (close() would wait
    // for the streams); its typing only admits an Error.
    session.destroy(constants.NGHTTP2_ENHANCE_YOUR_CALM as unknown as Error);
  }
}

function ignore(): void {}
