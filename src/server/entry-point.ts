/**
 * An entry point: one listening socket. It parses the request target once, matches it against
 * the current routing table (read once per request, so a swap never affects a request in
 * flight) and runs the route's handler. Upgrade requests take the same path.
 */
import { type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { caughtAtBoundary } from '../core/last-resort.js';
import type { Logger } from '../core/logger.js';
import type { RequestContext } from '../core/request-context.js';
import { hasRequestBody } from '../proxy/buffered-body.js';
import { FORWARDED_HEADERS, plainAddress } from '../proxy/request-headers.js';
import { sendError } from '../proxy/responses.js';
import { compileRuleMatcher, type MatchInput, normalizeHost, type RuleMatcher, routingPath } from '../rules/index.js';
import { refusedEscape, sanitizePath } from '../rules/sanitize-path.js';
import { TcpRoutingTable } from '../tcp/table.js';
import { MAX_RECORD_BYTES, recordComplete } from '../tls/client-hello.js';
import { connectionFacts } from './listener/connection-facts.js';
import { createH2cStage } from './listener/h2c-stage.js';
import { createHttp1Server } from './listener/http1-server.js';
import {
  createHttp2Server,
  type EdgeHttp2Request,
  type EdgeHttp2Response,
  type Http2Server,
} from './listener/http2-server.js';
import { type ConnectionHandler, Listener } from './listener/listener.js';
import { readPrefix } from './listener/peek.js';
import { type ProxyProtocolOptions, proxyProtocolStage } from './listener/proxy-protocol.js';
import { type TlsTerminator, tcpDispatchStage } from './listener/tcp-dispatch.js';
import { createTlsStage, type TlsStage } from './listener/tls-stage.js';
import { asksForH2c, isHttp2Request, requestProblem } from './request-checks.js';
import type { Route, RoutingTable } from './routing-table.js';

/** Entry point settings resolved from the static configuration (durations in ms). */
export interface EntryPointOptions {
  name: string;
  /** Interface to bind; undefined binds all interfaces. */
  host: string | undefined;
  port: number;
  /** `udp` for an address ending in `/udp` (served by a UdpEntryPoint, not this class). */
  protocol: 'tcp' | 'udp';
  /** UDP entry points: a session's idle timeout (`udp.timeout`, ms). */
  udpTimeout: number;
  /** Peers whose X-Forwarded-* headers are kept (IPs or CIDRs). */
  trustedIPs: readonly string[];
  /** Trust every peer's X-Forwarded-* headers. */
  insecureForwardedHeaders: boolean;
  /** Whole-request read limit (Traefik readTimeout, default 60s; 0 = none). */
  readTimeout: number;
  /** Keep-alive idle limit (Traefik idleTimeout, default 180s). */
  idleTimeout: number;
  /** Time to write a response, from the end of the request head (Traefik writeTimeout; 0 = none). */
  writeTimeout: number;
  /** Largest request head in bytes (Traefik `http.maxHeaderBytes`). */
  maxHeaderBytes: number;
  /** Most request header lines; more is 431 (Switchyard's `http.maxHeaderCount`). */
  maxHeaderCount: number;
  /** Remove dot segments and duplicate slashes before routing (Traefik `http.sanitizePath`). */
  sanitizePath: boolean;
  /** Bit mask of the encoded characters allowed in paths (`http.encodedCharacters`, sanitize-path.ts). */
  allowedEncodings: number;
  /** Longest a TLS handshake (and the wait for a connection's first byte) may take; default: readTimeout, or 60 s without one. */
  handshakeTimeout?: number;
  /** HTTP/2 settings (`entryPoints.<name>.http2`). */
  http2: EntryPointHttp2Options;
  /** `proxyProtocol` (trusted peers' PROXY headers give the client address); undefined: none read. */
  proxyProtocol?: ProxyProtocolOptions;
  /** `allowACMEByPass`: user routers may take ACME challenges (HTTP-01 and TLS-ALPN-01). */
  allowACMEByPass?: boolean;
}

/** Where the TCP router stage hands TLS it does not pass through (wired by the assembly). */
export interface EntryPointTls {
  /** The HTTPS path: a peeked socket starting with a ClientHello no TCP router took. */
  https?: ConnectionHandler;
}

/** The HTTP/2 side of an entry point (Traefik's `http2` section, plus Switchyard's `h2c`). */
export interface EntryPointHttp2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS (Traefik default 250). */
  maxConcurrentStreams: number;
  /** HPACK decoder table size (Traefik default 4096). */
  maxDecoderHeaderTableSize: number;
  /** Serve h2c with prior knowledge on this plaintext entry point (Traefik does; default true). */
  h2c: boolean;
}

/** A TLS handshake record's first byte (RFC 8446 §5.1: content type 22). */
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * Receives each finished request (statistics, access log): its context, its start
 * (`performance.now()`), and the bytes written to and read from the client's socket while it ran.
 */
export type RequestObserver = (ctx: RequestContext, startedAt: number, bytesOut: number, bytesIn: number) => void;

/** The priority of Traefik's acme-http router under allowACMEByPass: its rule's length. */
const ACME_BYPASS_PRIORITY = 'PathPrefix(`/.well-known/acme-challenge/`)'.length;

/** The early bytes of a WebSocket opened over HTTP/2: none (an upgrade's `head`). */
const NO_EARLY_BYTES = Buffer.alloc(0);

/**
 * An entry point: a listener (TCP accept, then — when the current table has TLS routes for it —
 * a peek at the first byte: a TLS handshake record goes to TLS termination, anything else to
 * HTTP, as in Traefik) handing connections to its HTTP/1.1 server, and the request handling
 * behind it, routing through a swappable table.
 */
export class EntryPoint {
  /** The HTTP/1.1 server connections are handed to (it never listens itself). */
  readonly server: Server;
  /** The HTTP/2 server (h2c, and TLS connections whose ALPN chose h2); it never listens either. */
  readonly http2: Http2Server;
  /**
   * Serves a connection that speaks HTTP/2 from its first byte: what the TLS stage calls when
   * ALPN chose `h2` (the h2c stage calls it for plaintext connections opening with the preface).
   */
  readonly serveHttp2: ConnectionHandler;
  /** Serves a connection that speaks HTTP/1.1 (after the TLS stage, or for plaintext). */
  readonly serveHttp1: ConnectionHandler;
  /** The TCP listener (docs/architecture.md, "A request, step by step"). */
  readonly listener: Listener;
  /** TLS termination (used when the table gives this entry point a TLS policy). */
  readonly tls: TlsStage;
  /** Where a plaintext connection goes: the h2c stage (`http2.h2c`, the default) or HTTP/1.1. */
  private readonly plaintext: ConnectionHandler;
  private readonly peekTimeout: number;
  private table: RoutingTable;
  private tcpTable = TcpRoutingTable.empty();
  private readonly trusted: RuleMatcher | null;
  private readonly sockets = new Set<Socket>();
  /** Requests being handled now (for graceful shutdown). */
  inFlight = 0;
  /** Set by close(): answered connections are ended instead of kept alive. */
  private closing = false;
  /** Called when the last in-flight request finishes while closing. */
  private onIdle: (() => void) | null = null;
  /** ACME HTTP-01 answers, asked before routing on an `httpChallenge.entryPoint` (null elsewhere). */
  private httpChallenge: ((host: string, path: string) => string | undefined) | null = null;

  constructor(
    readonly options: EntryPointOptions,
    table: RoutingTable,
    private readonly logger: Logger,
    private readonly observer: RequestObserver | null = null,
    tls: EntryPointTls = {},
  ) {
    this.table = table;
    this.trusted =
      options.trustedIPs.length > 0
        ? compileRuleMatcher(options.trustedIPs.map((ip) => `ClientIP(\`${ip}\`)`).join(' || ')).match
        : null;
    const http = createHttp1Server(options, {
      request: (req, res) => this.guarded(req, res, null),
      upgrade: (req, socket, head) => {
        try {
          this.handleUpgrade(req, socket, head);
        } catch (thrown) {
          caughtAtBoundary(thrown, 'upgrade request');
          socket.destroy();
        }
      },
      clientError: (error, socket) => this.clientError(error, socket),
    });
    this.server = http.server;
    this.http2 = createHttp2Server(
      {
        maxConcurrentStreams: options.http2.maxConcurrentStreams,
        maxDecoderHeaderTableSize: options.http2.maxDecoderHeaderTableSize,
        maxHeaderBytes: options.maxHeaderBytes,
        maxHeaderCount: options.maxHeaderCount,
        idleTimeout: options.idleTimeout,
        readTimeout: options.readTimeout,
      },
      {
        // A WebSocket over HTTP/2 (extended CONNECT) goes the way of an HTTP/1.1 upgrade, with no
        // early bytes: its frames follow on the stream.
        request: (req, res) =>
          this.guarded(
            req as unknown as IncomingMessage,
            res as unknown as ServerResponse,
            (req as EdgeHttp2Request).webSocket ? NO_EARLY_BYTES : null,
          ),
      },
    );
    const track = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    this.server.on('connection', track);
    this.http2.server.on('connection', track);
    this.serveHttp1 = http.serve;
    this.serveHttp2 = this.http2.serve;
    // Plaintext: HTTP/1.1, or h2c when the connection opens with the HTTP/2 preface (a peek at
    // its first bytes, once per connection; nothing per request). TLS chooses by ALPN instead.
    const readTimeout = options.readTimeout;
    const headTimeout = readTimeout > 0 ? Math.min(readTimeout, 60_000) : 60_000;
    this.plaintext = options.http2.h2c ? createH2cStage(http.serve, this.http2.serve, headTimeout) : http.serve;
    this.peekTimeout = options.handshakeTimeout ?? (options.readTimeout > 0 ? options.readTimeout : 60_000);
    this.tls = createTlsStage({
      entryPoint: options.name,
      policy: () => this.table.tlsFor(options.name),
      handshakeTimeout: this.peekTimeout,
      http1: http.serve,
      h2: this.http2.serve,
      logger,
    });
    // Stages: PROXY header (if configured), then TCP routers (only while the entry point has
    // some: otherwise straight to HTTP/1.1, without a peek).
    const dispatch = tcpDispatchStage({
      entryPoint: options.name,
      table: () => this.tcpTable,
      hasHttpRoutes: () =>
        this.table.routesOf(options.name, false).length > 0 || this.table.routesOf(options.name, true).length > 0,
      hasHttpsRoutes: () => this.table.routesOf(options.name, true).length > 0,
      ...(options.allowACMEByPass === true
        ? {}
        : {
            acmeTlsChallenge: (serverName: string) =>
              this.table.tlsFor(options.name)?.store.challengeContext?.(serverName) !== undefined,
          }),
      // No TCP router took it: TLS termination for HTTPS routers or plaintext HTTP (accept()).
      http: (socket) => this.accept(socket),
      https: tls.https ?? ((socket) => this.accept(socket)),
      terminator: this.terminateForTcp,
      peekTimeoutMs: options.readTimeout,
      logger,
      track,
    });
    this.listener = new Listener(options, proxyProtocolStage(options.proxyProtocol, dispatch, logger, options.name));
  }

  /**
   * TLS for a TCP router with `tls` and no passthrough: the same stage as HTTPS (timeouts,
   * counters, certificates by SNI), under the router's policy, handing the decrypted socket to
   * the router instead of the HTTP servers.
   */
  private readonly terminateForTcp: TlsTerminator = (socket, prefix, policy, next) => {
    this.tls.handle(socket, prefix, { policy, secure: next });
  };

  /**
   * A new connection: straight to HTTP/1.1 when the entry point has no TLS routes (no cost but a
   * lookup), else after a peek at its first byte (TLS handshake record or plaintext).
   */
  private accept(socket: Socket): void {
    if (this.table.tlsFor(this.options.name) === undefined) {
      this.plaintext(socket);
      return;
    }
    // Errors between the peek and the next stage's own handlers must not go unheard.
    socket.on('error', ignoreError);
    // A whole first record: the ClientHello's SNI picks the TLS options (tls-stage.ts); one byte
    // of anything else already tells plaintext.
    readPrefix(socket, recordComplete, this.peekTimeout, MAX_RECORD_BYTES).then(
      (bytes) => this.dispatch(socket, bytes),
      () => socket.destroy(),
    );
  }

  private dispatch(socket: Socket, first: Buffer): void {
    try {
      if (first.length === 0 || socket.destroyed) {
        socket.destroy();
        return;
      }
      if (first[0] === TLS_HANDSHAKE_RECORD) {
        if (!recordComplete(first)) {
          // The peek ended (timeout, or the client closed) inside the first record: a stalled
          // ClientHello gets no second wait in the handshake.
          this.tls.counters.timeouts++;
          socket.destroy();
          return;
        }
        this.tls.handle(socket, first);
        return;
      }
      // Both the HTTP/1.1 server and the h2c stage read through 'data' listeners, which do not
      // restart a stream the peek paused.
      this.plaintext(socket);
      socket.resume();
    } catch (thrown) {
      caughtAtBoundary(thrown, 'connection dispatch');
      socket.destroy();
    }
  }

  /**
   * Answers ACME HTTP-01 challenges here: `answer(host, path)` is asked before routing and a
   * defined answer is sent as is (Traefik's `acme-http@internal` router, of the highest priority).
   */
  answerHttpChallenges(answer: (host: string, path: string) => string | undefined): void {
    this.httpChallenge = answer;
  }

  /** Replaces the routing table; requests already running keep the one they started with. */
  swap(table: RoutingTable, tcpTable?: TcpRoutingTable): void {
    this.table = table;
    if (tcpTable !== undefined) this.tcpTable = tcpTable;
  }

  /** Starts listening; rejects with a ListenError naming the address when the port is taken. */
  listen(): Promise<void> {
    return this.listener.listen();
  }

  /** The port actually bound (useful with port 0 in tests). */
  get port(): number {
    return this.listener.port;
  }

  /** Client connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Stops accepting, lets in-flight requests finish within `graceMs` (woken by the last one, not
   * by polling), then closes every connection. Idle keep-alive connections are closed at once,
   * and a connection whose request finishes meanwhile is ended after its answer.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const stopped = this.listener.close();
    // Stops the HTTP server's timeout checks and closes its idle connections.
    this.server.close();
    // HTTP/2 connections get a GOAWAY: no new streams, those in flight finish.
    for (const session of this.http2.sessions) session.close();
    if (this.inFlight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onIdle = null;
    }
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await stopped;
  }

  /**
   * Runs a request with nothing allowed to escape: these callbacks run inside the client socket's
   * data handler, where a throw would take the whole process down. A defect costs this request
   * a 500 (or its connection), and is logged and counted.
   */
  private guarded(req: IncomingMessage, res: ServerResponse, upgradeHead: Buffer | null): void {
    try {
      this.handle(req, res, upgradeHead);
    } catch (thrown) {
      caughtAtBoundary(thrown, 'request');
      try {
        sendError(res, 500);
      } catch {
        res.destroy();
      }
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse, upgradeHead: Buffer | null): void {
    const socket = req.socket;
    const remoteAddress = plainAddress(socket.remoteAddress);
    const headers = req.headers;
    const options = this.options;
    const problem = requestProblem(req, options.maxHeaderCount, options.maxHeaderBytes);
    if (problem !== 0) {
      refuse(res, problem);
      return;
    }
    let target = req.url ?? '/';
    if (target.charCodeAt(0) !== 47 /* '/' */) {
      // Absolute form (`http://host/path`): the authority wins over the Host header and replaces
      // it, so the server sees the host that was routed (RFC 9112 §3.2.2).
      const parsed = splitAbsoluteTarget(target);
      if (parsed === null || parsed.authority === '') {
        refuse(res, 400);
        return;
      }
      target = parsed.target;
      if (parsed.authority !== null) headers.host = parsed.authority;
    }
    const queryAt = target.indexOf('?');
    let rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
    if (refusedEscape(rawPath, options.allowedEncodings) !== null) {
      refuse(res, 400);
      return;
    }
    if (options.sanitizePath) rawPath = sanitizePath(rawPath);
    if (!this.options.insecureForwardedHeaders && (this.trusted === null || !this.isTrusted(remoteAddress, req))) {
      for (let i = 0; i < FORWARDED_HEADERS.length; i++) {
        const name = FORWARDED_HEADERS[i] as string;
        if (headers[name] !== undefined) delete headers[name];
      }
    }
    const host = normalizeHost(headers.host);
    this.inFlight++;
    const ctx = new EntryContext(this, req, res, rawPath, query, host, upgradeHead);
    // Socket byte counters before and after: requests on one connection do not overlap (no
    // pipelining past the parser), so the difference is this exchange's bytes, headers included.
    if (this.observer !== null && !ctx.http2) {
      ctx.bytesWrittenBefore = socket.bytesWritten;
      ctx.bytesReadBefore = socket.bytesRead;
    }
    (res as WithContext)[CONTEXT] = ctx;
    res.on('close', onResponseClose);
    if (options.writeTimeout > 0) ctx.writeTimer = setTimeout(onWriteTimeout, options.writeTimeout, res);
    const input: MatchInput = {
      method: req.method ?? 'GET',
      host,
      path: routingPath(rawPath),
      query,
      headers,
      remoteAddress,
    };
    let route: Route | undefined;
    if (this.httpChallenge !== null) {
      const answer = this.httpChallenge(host, rawPath);
      if (answer !== undefined) {
        // Traefik's acme-http router outranks every router, or, with allowACMEByPass, has the
        // ordinary priority of its rule: a user router above that answers instead.
        if (options.allowACMEByPass === true) route = this.table.match(options.name, input, ctx.scheme === 'https');
        if (route === undefined || route.priority <= ACME_BYPASS_PRIORITY) {
          ctx.router = 'acme-http@internal';
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(answer) });
          res.end(answer);
          return;
        }
      }
    }
    route ??= this.table.match(this.options.name, input, ctx.scheme === 'https');
    if (route === undefined) {
      sendError(res, 404);
      return;
    }
    ctx.router = route.name;
    try {
      route.handler(ctx);
    } catch (error) {
      this.logger.error({ err: (error as Error).message, router: route.name }, 'request handler failed');
      sendError(res, 500);
    }
  }

  /** The response of a request closed (finished or aborted): statistics, in-flight count. */
  finished(ctx: EntryContext): void {
    if (--this.inFlight === 0 && this.onIdle !== null) this.onIdle();
    if (ctx.writeTimer !== null) clearTimeout(ctx.writeTimer);
    if (ctx.http2) {
      this.finishedHttp2(ctx);
      return;
    }
    if (this.closing) ctx.req.socket.end();
    const observer = this.observer;
    if (observer !== null) {
      const socket = ctx.req.socket;
      observer(
        ctx,
        ctx.startedAt,
        socket.bytesWritten - ctx.bytesWrittenBefore,
        socket.bytesRead - ctx.bytesReadBefore,
      );
    }
  }

  /**
   * An HTTP/2 stream finished. Its connection carries other streams, so the connection's byte
   * counters say nothing of this one: the body bytes sent and the announced request length are
   * recorded instead.
   */
  private finishedHttp2(ctx: EntryContext): void {
    const observer = this.observer;
    if (observer === null) return;
    const length = Number(ctx.req.headers['content-length']);
    observer(
      ctx,
      ctx.startedAt,
      (ctx.res as unknown as EdgeHttp2Response).bodyBytes,
      Number.isSafeInteger(length) && length > 0 ? length : 0,
    );
  }

  private isTrusted(remoteAddress: string, req: IncomingMessage): boolean {
    return (this.trusted as RuleMatcher)({
      method: '',
      host: '',
      path: '',
      query: '',
      headers: req.headers,
      remoteAddress,
    });
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Give the request a real response object on the raw socket, so routing, middlewares and
    // errors (404, 502, redirects) work as for any request.
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => {
      if (res.statusCode !== 101) socket.end();
    });
    socket.on('error', () => socket.destroy());
    if (asksForH2c(req.headers.upgrade)) {
      // h2c is never tunnelled to a server: a server that accepted it would get a raw HTTP/2
      // connection outside routing (h2c smuggling). The request is served as plain HTTP/1.1
      // without its upgrade headers; one with a body is refused, since Node hands an upgrade's
      // body over as raw bytes that the forwarding path does not read.
      if (hasRequestBody(req)) {
        refuse(res, 400);
        return;
      }
      dropUpgrade(req);
      this.handle(req, res, null);
      return;
    }
    this.handle(req, res, head);
  }

  private clientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    this.logger.debug({ entryPoint: this.options.name, code: error.code, err: error.message }, 'malformed request');
    if (!socket.writable || (error as { bytesParsed?: number }).bytesParsed === 0 || (socket as Refusable)[REFUSED]) {
      // Nothing to say, or this connection was already answered and is closing (a refused
      // request's unread body is what the parser choked on): one answer per request.
      socket.destroy();
      return;
    }
    const pending = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (pending) {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        // The request being answered is the slow one (its body stalled): 408 through its own
        // response when nothing was sent yet (the forwarding is dropped with it), else cut.
        pending.shouldKeepAlive = false;
        if (pending.headersSent) socket.destroy();
        else sendError(pending, 408);
        return;
      }
      // A pipelined request after one still being answered is broken: finish that answer, then
      // close, rather than interleave a 400 with it.
      pending.shouldKeepAlive = false;
      pending.once('finish', () => socket.end());
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text =
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}

/**
 * The per-request context, as a class so every request has the same object shape (the
 * middlewares' optional fields included) and the close listener needs no closure.
 */
class EntryContext implements RequestContext {
  readonly startedAt = performance.now();
  bytesWrittenBefore = 0;
  bytesReadBefore = 0;
  writeTimer: NodeJS.Timeout | null = null;
  /** From the connection (TLS or not), not from a constant. */
  readonly scheme: 'http' | 'https';
  readonly entryPoint: string;
  router = '';
  responseHeaders: Array<[name: string, value: string]> | null = null;
  strippedPrefix: string | null = null;
  service = '';
  serverUrl = '';
  retries = 0;
  retry: RequestContext['retry'] = null;
  attempt: number | undefined = undefined;
  failedUpstreams: string[] | null = null;
  bufferedBody: Buffer | null = null;
  user: string | undefined = undefined;
  /** Whether the request came over HTTP/2 (its connection carries other requests at once). */
  readonly http2: boolean;

  constructor(
    readonly owner: EntryPoint,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    public path: string,
    public query: string,
    readonly host: string,
    readonly upgradeHead: Buffer | null,
  ) {
    this.entryPoint = owner.options.name;
    this.scheme = connectionFacts(req.socket).secure ? 'https' : 'http';
    this.http2 = req.httpVersionMajor === 2 && isHttp2Request(req);
  }
}

const CONTEXT = Symbol('switchyard.requestContext');

function ignoreError(): void {
  // Logged by the stage that owns the socket next; a socket that fails during the peek is destroyed.
}

/** Marks a connection whose request was refused: it is answered once and closing. */
const REFUSED = Symbol('switchyard.refused');

type Refusable = Duplex & { [REFUSED]?: boolean };

/** Answers a request refused before routing and closes the connection (its body is not read). */
function refuse(res: ServerResponse, status: number): void {
  if (res.req.httpVersionMajor === 2) {
    // One stream of an HTTP/2 connection: the others go on.
    sendError(res, status);
    return;
  }
  res.shouldKeepAlive = false;
  const socket = res.socket as Refusable | null;
  if (socket !== null) socket[REFUSED] = true;
  sendError(res, status);
}

/** The response took longer than writeTimeout: the connection is cut (Go's WriteTimeout). */
function onWriteTimeout(res: ServerResponse): void {
  if (!res.writableFinished) res.destroy();
}

/** Removes an upgrade request's Upgrade, HTTP2-Settings and Connection headers (h2c refused). */
function dropUpgrade(req: IncomingMessage): void {
  const headers = req.headers;
  delete headers.upgrade;
  delete headers['http2-settings'];
  delete headers.connection;
}

type WithContext = ServerResponse & { [CONTEXT]?: EntryContext };

function onResponseClose(this: WithContext): void {
  const ctx = this[CONTEXT];
  if (ctx === undefined) return;
  this[CONTEXT] = undefined;
  ctx.owner.finished(ctx);
}

/**
 * Splits an absolute-form target `http://host:port/path?q` into the origin-form target and the
 * authority (userinfo dropped). `*` (OPTIONS) has no authority. Anything else that does not start
 * with `/` — another scheme, a bare word — is invalid: null.
 */
function splitAbsoluteTarget(target: string): { target: string; authority: string | null } | null {
  if (target === '*') return { target, authority: null };
  const scheme = target.indexOf('://');
  if (scheme === -1) return null;
  const name = target.slice(0, scheme).toLowerCase();
  if (name !== 'http' && name !== 'https') return null;
  const rest = target.slice(scheme + 3);
  const slash = rest.search(/[/?]/);
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '/' : rest.slice(slash);
  return {
    target: path.startsWith('?') ? `/${path}` : path,
    authority: authority.slice(authority.lastIndexOf('@') + 1),
  };
}
