/**
 * A UDP entry point (`address: ":53/udp"`): datagrams from one client address (ip:port) form a
 * session bound to one server, picked once, through a socket of its own, so the server's answers
 * find their way back to that client. A session ends after `udp.timeout` without a datagram
 * either way (Traefik's default 3 s).
 *
 * State is bounded whatever clients send: at most MAX_SESSIONS sessions per entry point and
 * MAX_SESSIONS_PER_IP per client IP (a flood from many source ports of one host cannot hold more),
 * and at most MAX_PENDING datagrams queued per session while its socket binds. What does not fit
 * is dropped and counted, as the network itself would drop it.
 */
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../core/logger.js';
import type { TcpCounters } from '../tcp/stats.js';
import type { UdpServer, UdpService } from './service.js';

/** Most sessions per entry point. */
export const MAX_SESSIONS = 4096;
/** Most sessions per client IP (its source ports). */
export const MAX_SESSIONS_PER_IP = 256;
/** Most datagrams held for a session whose socket is not bound yet. */
const MAX_PENDING = 32;

/** The route of a UDP entry point: its one router's service. */
export interface UdpRoute {
  readonly router: string;
  readonly service: UdpService;
  /** The router's counters (sessions, bytes). */
  readonly stats: TcpCounters;
}

/** Datagrams dropped, by cause (for tests and logs). */
export interface UdpDrops {
  noRoute: number;
  noServer: number;
  sessionLimit: number;
  pendingLimit: number;
  sendFailed: number;
}

class Session {
  readonly socket: DgramSocket;
  lastSeen = Date.now();
  ready = false;
  pending: Buffer[] = [];
  readonly startedAt = performance.now();
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly key: string,
    readonly clientIp: string,
    readonly clientPort: number,
    readonly server: UdpServer,
    readonly route: UdpRoute,
  ) {
    this.socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
  }
}

/** One UDP entry point. */
export class UdpEntryPoint {
  private readonly socket: DgramSocket;
  private readonly sessions = new Map<string, Session>();
  private readonly perIp = new Map<string, number>();
  private route: UdpRoute | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  readonly drops: UdpDrops = { noRoute: 0, noServer: 0, sessionLimit: 0, pendingLimit: 0, sendFailed: 0 };

  constructor(
    readonly name: string,
    private readonly host: string | undefined,
    private readonly requestedPort: number,
    /** Idle time that ends a session (ms). */
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.socket = createSocket(host !== undefined && isIP(host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (data, from) => this.receive(data, from));
    this.socket.on('error', (error) => this.logger.warn({ entryPoint: name, err: error.message }, 'UDP socket error'));
  }

  /** Binds the socket; rejects naming the address when it is taken. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new Error(
            `entry point "${this.name}" cannot listen on UDP ${this.host ?? '0.0.0.0'}:${this.requestedPort}: ${error.message}`,
          ),
        );
      this.socket.once('error', onError);
      this.socket.bind(this.requestedPort, this.host, () => {
        this.socket.off('error', onError);
        resolve();
      });
    });
  }

  get port(): number {
    try {
      return this.socket.address().port;
    } catch {
      return this.requestedPort;
    }
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The router this entry point sends new sessions to (null: datagrams are dropped). */
  swap(route: UdpRoute | null): void {
    this.route = route;
  }

  /** Ends every session and closes the socket. */
  close(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const session of [...this.sessions.values()]) this.end(session);
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private receive(data: Buffer, from: RemoteInfo): void {
    const key = `${from.address}|${from.port}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      const created = this.open(key, from);
      if (created === undefined) return;
      session = created;
    }
    session.lastSeen = Date.now();
    session.bytesIn += data.length;
    if (!session.ready) {
      if (session.pending.length >= MAX_PENDING) this.drops.pendingLimit++;
      else session.pending.push(data);
      return;
    }
    this.forward(session, data);
  }

  private open(key: string, from: RemoteInfo): Session | undefined {
    const route = this.route;
    if (route === null) {
      this.drops.noRoute++;
      return undefined;
    }
    const count = this.perIp.get(from.address) ?? 0;
    if (this.sessions.size >= MAX_SESSIONS || count >= MAX_SESSIONS_PER_IP) {
      this.drops.sessionLimit++;
      return undefined;
    }
    const server = route.service.pick(Date.now(), from.address);
    if (server === undefined) {
      this.drops.noServer++;
      return undefined;
    }
    const session = new Session(key, from.address, from.port, server, route);
    this.sessions.set(key, session);
    this.perIp.set(from.address, count + 1);
    server.state.inFlight++;
    server.state.requests++;
    route.stats.connections++;
    route.stats.open++;
    session.socket.on('message', (answer) => {
      session.lastSeen = Date.now();
      session.bytesOut += answer.length;
      this.socket.send(answer, session.clientPort, session.clientIp, (error) => {
        if (error) this.drops.sendFailed++;
      });
    });
    session.socket.on('error', (error) => {
      this.logger.debug({ entryPoint: this.name, server: server.key, err: error.message }, 'UDP session error');
    });
    // Connected to its server: the kernel then delivers answers from that address only, so no one
    // else can inject datagrams into the client's session (or keep it alive by doing so).
    session.socket.connect(server.port, server.host, () => {
      session.ready = true;
      const queued = session.pending;
      session.pending = [];
      for (const datagram of queued) this.forward(session, datagram);
    });
    this.startSweeper();
    return session;
  }

  private forward(session: Session, data: Buffer): void {
    session.socket.send(data, (error) => {
      if (error) {
        // EMSGSIZE (larger than the path allows), ECONNREFUSED from an ICMP error: dropped.
        this.drops.sendFailed++;
        this.logger.debug(
          { entryPoint: this.name, server: session.server.key, err: error.message },
          'UDP datagram not sent',
        );
      }
    });
  }

  /** Looks for idle sessions a few times per timeout, only while there are sessions. */
  private startSweeper(): void {
    if (this.sweeper !== null) return;
    const period = Math.max(50, Math.min(1_000, Math.floor(this.timeoutMs / 4)));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const session of this.sessions.values()) {
        if (now - session.lastSeen >= this.timeoutMs) this.end(session);
      }
      if (this.sessions.size === 0 && this.sweeper !== null) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    }, period);
    this.sweeper.unref();
  }

  private end(session: Session): void {
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    const left = (this.perIp.get(session.clientIp) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(session.clientIp);
    else this.perIp.set(session.clientIp, left);
    session.server.state.inFlight--;
    const stats = session.route.stats;
    stats.open--;
    stats.bytesIn += session.bytesIn;
    stats.bytesOut += session.bytesOut;
    stats.durationSeconds += (performance.now() - session.startedAt) / 1000;
    try {
      session.socket.close();
    } catch {
      // Already closed.
    }
  }
}
