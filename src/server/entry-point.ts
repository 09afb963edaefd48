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
import { connectionFacts } from './listener/connection-facts.js';
import { createHttp1Server } from './listener/http1-server.js';
import { type ConnectionHandler, Listener } from './listener/listener.js';
import { type ProxyProtocolOptions, proxyProtocolStage } from './listener/proxy-protocol.js';
import { type TlsTerminator, tcpDispatchStage } from './listener/tcp-dispatch.js';
import { asksForH2c, requestProblem } from './request-checks.js';
import type { RoutingTable } from './routing-table.js';

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
  /** `proxyProtocol` (trusted peers' PROXY headers give the client address); undefined: none read. */
  proxyProtocol?: ProxyProtocolOptions;
}

/** Where the TCP router stage hands TLS it does not pass through (wired by the assembly). */
export interface EntryPointTls {
  /** The HTTPS path: a peeked socket starting with a ClientHello no TCP router took. */
  https?: ConnectionHandler;
  /** TLS termination for TCP routers with `tls` and no passthrough. */
  terminator?: TlsTerminator | null;
}

/**
 * Receives each finished request (statistics, access log): its context, its start
 * (`performance.now()`), and the bytes written to and read from the client's socket while it ran.
 */
export type RequestObserver = (ctx: RequestContext, startedAt: number, bytesOut: number, bytesIn: number) => void;

/**
 * An entry point: a listener (TCP accept, later PROXY protocol, TLS and TCP routing stages)
 * handing connections to its HTTP/1.1 server, and the request handling behind it, routing
 * through a swappable table.
 */
export class EntryPoint {
  /** The HTTP/1.1 server connections are handed to (it never listens itself). */
  readonly server: Server;
  /** The TCP listener (docs/architecture.md, "A request, step by step"). */
  readonly listener: Listener;
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
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Stages: PROXY header (if configured), then TCP routers (only while the entry point has
    // some: otherwise straight to HTTP/1.1, without a peek).
    const track = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    const dispatch = tcpDispatchStage({
      entryPoint: options.name,
      table: () => this.tcpTable,
      hasHttpRoutes: () => this.table.routesOf(options.name).length > 0,
      http: http.serve,
      https: tls.https,
      terminator: tls.terminator,
      peekTimeoutMs: options.readTimeout,
      logger,
      track,
    });
    this.listener = new Listener(options, proxyProtocolStage(options.proxyProtocol, dispatch, logger, options.name));
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
    const problem = requestProblem(req, options.maxHeaderCount);
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
    if (this.observer !== null) {
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
    const route = this.table.match(this.options.name, input);
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
    if (this.closing) ctx.req.socket.end();
    if (ctx.writeTimer !== null) clearTimeout(ctx.writeTimer);
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
  }
}

const CONTEXT = Symbol('switchyard.requestContext');

/** Marks a connection whose request was refused: it is answered once and closing. */
const REFUSED = Symbol('switchyard.refused');

type Refusable = Duplex & { [REFUSED]?: boolean };

/** Answers a request refused before routing and closes the connection (its body is not read). */
function refuse(res: ServerResponse, status: number): void {
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
