/**
 * HTTP/2 sessions to upstream servers, one pool per origin (`h2c://host:port` with prior
 * knowledge, or `https://host:port` whose ALPN chose `h2`). A request takes a session with room
 * for one more stream (the server's SETTINGS_MAX_CONCURRENT_STREAMS), else a session being
 * dialled with room, else a new one. A session that received GOAWAY takes no new stream (its
 * streams in flight finish) and leaves the pool, so the next request dials again; one idle for
 * `idleConnTimeout` is closed.
 *
 * For `https://` servers the protocol is learned on the first dial: ALPN offers `h2` and
 * `http/1.1`; a server that picks HTTP/1.1 is remembered as such and its requests go through
 * the HTTP/1.1 client from then on (that first TLS connection is closed: one handshake lost,
 * once per origin and transport).
 */
import { type ClientHttp2Session, connect as h2Connect } from 'node:http2';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { UpstreamTlsOptions } from './upstream-tls.js';

/** How sessions are opened and kept. */
export interface Http2PoolOptions {
  readonly dialTimeout: number;
  readonly idleTimeout: number;
  readonly tls: UpstreamTlsOptions;
}

/** What a request waiting for a session is told: a session, HTTP/1.1 instead (null), or an error. */
export type SessionCallback = (error: NodeJS.ErrnoException | null, session: UpstreamSession | null) => void;

/** Streams assumed allowed before the server's SETTINGS arrive (RFC 9113 recommends ≥ 100). */
const ASSUMED_MAX_STREAMS = 100;

/** One HTTP/2 connection to a server. */
export class UpstreamSession {
  /** Streams open on it (ours: counted when taken, uncounted when the stream closes). */
  active = 0;
  connected = false;
  /** GOAWAY received or closed: no new stream. */
  gone = false;
  /** Requests waiting for the dial to finish. */
  waiters: SessionCallback[] = [];
  session: ClientHttp2Session | null = null;
  /** Highest stream id the server said it processed when it sent GOAWAY (-1: none). */
  goawayLastStream = -1;

  constructor(readonly origin: Http2Origin) {}

  /** Streams the server lets us open at once. */
  get maxStreams(): number {
    const value = this.session?.remoteSettings.maxConcurrentStreams;
    return value === undefined || value > 0xfffffff ? ASSUMED_MAX_STREAMS : value;
  }

  /** Whether one more stream fits. */
  get hasRoom(): boolean {
    return !this.gone && this.active + this.waiters.length < this.maxStreams;
  }

  /** A stream opened on this session closed. */
  streamClosed(): void {
    this.active--;
    // A session of a retired transport (the configuration no longer uses it) closes once idle.
    if (this.active === 0 && (this.gone || this.origin.retired)) this.close(false);
  }

  /** Closes it (GOAWAY); streams in flight finish unless `now`. */
  close(now: boolean): void {
    this.origin.forget(this);
    if (now) this.session?.destroy();
    else this.session?.close();
  }
}

/** The sessions to one server. */
export class Http2Origin {
  /** For `https://`: learned from ALPN on the first dial; `h2c://` is always 'h2'. */
  protocol: 'unknown' | 'h2' | 'http/1.1';
  readonly sessions: UpstreamSession[] = [];
  retired = false;

  constructor(
    readonly tls: boolean,
    readonly hostname: string,
    readonly port: number,
    private readonly options: Http2PoolOptions,
  ) {
    this.protocol = tls ? 'unknown' : 'h2';
  }

  /** Calls back with a session that has room for one more stream (or null: use HTTP/1.1). */
  acquire(callback: SessionCallback): void {
    if (this.protocol === 'http/1.1') {
      callback(null, null);
      return;
    }
    const sessions = this.sessions;
    for (let i = 0; i < sessions.length; i++) {
      const session = sessions[i] as UpstreamSession;
      if (!session.hasRoom) continue;
      if (session.connected) {
        callback(null, session);
        return;
      }
      session.waiters.push(callback);
      return;
    }
    const session = this.dial();
    session.waiters.push(callback);
  }

  /** Removes a session from the pool (it takes no new stream). */
  forget(session: UpstreamSession): void {
    session.gone = true;
    const at = this.sessions.indexOf(session);
    if (at !== -1) this.sessions.splice(at, 1);
  }

  /** Closes every session (`all`: in-use ones too, at once); returns how many. */
  close(all: boolean): number {
    let closed = 0;
    for (const session of [...this.sessions]) {
      if (!all && session.active > 0) {
        session.gone = true;
        this.forget(session);
        continue;
      }
      session.close(all);
      closed++;
    }
    return closed;
  }

  private dial(): UpstreamSession {
    const upstream = new UpstreamSession(this);
    this.sessions.push(upstream);
    const options = this.options;
    let socket: Socket;
    if (this.tls) {
      const tls = options.tls;
      socket = tlsConnect({
        host: this.hostname,
        port: this.port,
        servername: tls.serverName !== '' ? tls.serverName : isIP(this.hostname) === 0 ? this.hostname : undefined,
        rejectUnauthorized: !tls.insecureSkipVerify,
        ca: tls.rootCAs.length > 0 ? [...tls.rootCAs] : undefined,
        cert: tls.certificate?.cert,
        key: tls.certificate?.key,
        ALPNProtocols: ['h2', 'http/1.1'],
      });
    } else {
      socket = netConnect({ host: this.hostname, port: this.port });
    }
    socket.setNoDelay(true);
    let timer: NodeJS.Timeout | null = null;
    const failed = (error: NodeJS.ErrnoException) => {
      if (timer !== null) clearTimeout(timer);
      this.forget(upstream);
      socket.destroy();
      upstream.session?.destroy();
      const waiters = upstream.waiters;
      upstream.waiters = [];
      for (const waiter of waiters) waiter(error, null);
    };
    if (options.dialTimeout > 0) {
      timer = setTimeout(
        () => failed(Object.assign(new Error('upstream dial timeout'), { code: 'SY_DIAL_TIMEOUT' })),
        options.dialTimeout,
      );
    }
    socket.once('error', failed);
    socket.once(this.tls ? 'secureConnect' : 'connect', () => {
      if (timer !== null) clearTimeout(timer);
      socket.removeListener('error', failed);
      if (this.tls && (socket as TLSSocket).alpnProtocol !== 'h2') {
        // The server speaks HTTP/1.1 only: its requests take the HTTP/1.1 client from now on.
        this.protocol = 'http/1.1';
        this.forget(upstream);
        socket.destroy();
        const waiters = upstream.waiters;
        upstream.waiters = [];
        for (const waiter of waiters) waiter(null, null);
        return;
      }
      if (this.tls) this.protocol = 'h2';
      this.startSession(upstream, socket, failed);
    });
    return upstream;
  }

  private startSession(
    upstream: UpstreamSession,
    socket: Socket,
    failed: (error: NodeJS.ErrnoException) => void,
  ): void {
    const authority = `${this.tls ? 'https' : 'http'}://${isIP(this.hostname) === 6 ? `[${this.hostname}]` : this.hostname}:${this.port}`;
    const session = h2Connect(authority, {
      createConnection: () => socket,
      settings: { enablePush: false },
      // The server's header lists are bounded like a response head read over HTTP/1.1.
      maxHeaderListPairs: 256,
    });
    upstream.session = session;
    session.on('error', (error: NodeJS.ErrnoException) => {
      if (!upstream.connected) failed(error);
      else this.forget(upstream);
    });
    session.on('goaway', (_code: number, lastStreamID: number) => {
      upstream.goawayLastStream = lastStreamID;
      this.forget(upstream);
      if (upstream.active === 0) session.close();
    });
    session.once('close', () => {
      this.forget(upstream);
      if (!upstream.connected)
        failed(Object.assign(new Error('upstream closed the connection'), { code: 'ECONNRESET' }));
    });
    if (this.options.idleTimeout > 0) {
      session.setTimeout(this.options.idleTimeout, () => {
        if (upstream.active === 0) upstream.close(false);
      });
    }
    const ready = () => {
      upstream.connected = true;
      const waiters = upstream.waiters;
      upstream.waiters = [];
      for (const waiter of waiters) waiter(null, upstream);
    };
    // Node gives an already connected socket to the session: it is usable at once; the
    // server's SETTINGS (its stream limit) follow and are read on each pick.
    if (session.connecting) session.once('connect', ready);
    else ready();
  }
}

/** The HTTP/2 origins of one transport, keyed by `tls//host:port`. */
export class Http2Origins {
  private readonly byKey = new Map<string, Http2Origin>();
  private retired = false;

  constructor(private readonly options: Http2PoolOptions) {}

  /** The origin for a server, created on first use. */
  get(tls: boolean, hostname: string, port: number): Http2Origin {
    const key = `${tls ? 's' : 'c'}//${hostname}:${port}`;
    let origin = this.byKey.get(key);
    if (origin === undefined) {
      origin = new Http2Origin(tls, hostname, port, this.options);
      origin.retired = this.retired;
      this.byKey.set(key, origin);
    }
    return origin;
  }

  /** Closes sessions to `hostname:port` (idle ones, in-use ones too when `all`). */
  closeTo(hostname: string, port: number, all: boolean): number {
    let closed = 0;
    for (const origin of this.byKey.values()) {
      if (origin.hostname === hostname && origin.port === port) closed += origin.close(all);
    }
    return closed;
  }

  /** Closes every session: gracefully (`all` false: streams in flight finish) or at once. */
  close(all: boolean): void {
    this.retired = true;
    for (const origin of this.byKey.values()) {
      origin.retired = true;
      origin.close(all);
    }
    if (all) this.byKey.clear();
  }
}
