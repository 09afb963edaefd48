/**
 * The TCP connections open to each server, and dials in progress, by `host:port`: what the
 * Drainer closes when a leaving server's grace period ends (`closeSocketsTo`) and what it cuts
 * when a dial to a leaving server hangs (`abortDialsTo`). It is one of the Drainer's pool
 * sources, beside the HTTP transports, so TCP servers drain by the same mechanism.
 */
import type { Socket } from 'node:net';
import type { ConnectionPools } from '../balancer/drain.js';

interface Dial {
  readonly socket: Socket;
  readonly since: number;
}

/** Open TCP connections and pending dials per server. */
export class TcpUpstreams implements ConnectionPools {
  private readonly open = new Map<string, Set<Socket>>();
  private readonly dials = new Map<string, Set<Dial>>();

  /** Records a dial in progress; `done()` when it connected or failed. */
  dialing(host: string, port: number, socket: Socket): { done(): void } {
    const key = `${host}:${port}`;
    const dial: Dial = { socket, since: Date.now() };
    const set = this.dials.get(key) ?? new Set<Dial>();
    this.dials.set(key, set);
    set.add(dial);
    return {
      done: () => {
        set.delete(dial);
        if (set.size === 0 && this.dials.get(key) === set) this.dials.delete(key);
      },
    };
  }

  /** Records a forwarded connection; the returned function forgets it. */
  openConnection(host: string, port: number, client: Socket, upstream: Socket): () => void {
    const key = `${host}:${port}`;
    const set = this.open.get(key) ?? new Set<Socket>();
    this.open.set(key, set);
    set.add(upstream);
    (upstream as Socket & { [CLIENT]?: Socket })[CLIENT] = client;
    return () => {
      set.delete(upstream);
      if (set.size === 0 && this.open.get(key) === set) this.open.delete(key);
    };
  }

  /** Connections open now to `host:port`. */
  count(host: string, port: number): number {
    return this.open.get(`${host}:${port}`)?.size ?? 0;
  }

  closeSocketsTo(hostname: string, port: number, all: boolean): number {
    // Nothing is pooled idle: only a grace period that ran out (`all`) cuts open connections.
    if (!all) return 0;
    const set = this.open.get(`${hostname}:${port}`);
    if (set === undefined) return 0;
    let closed = 0;
    for (const upstream of [...set]) {
      (upstream as Socket & { [CLIENT]?: Socket })[CLIENT]?.destroy();
      upstream.destroy();
      closed++;
    }
    return closed;
  }

  abortDialsTo(hostname: string, port: number, now: number, minAgeMs: number): number {
    const set = this.dials.get(`${hostname}:${port}`);
    if (set === undefined) return 0;
    let aborted = 0;
    for (const dial of [...set]) {
      if (now - dial.since < minAgeMs) continue;
      dial.socket.destroy(new Error('the server is leaving'));
      aborted++;
    }
    return aborted;
  }

  /** Closes every forwarded connection (shutdown). */
  destroyAll(): void {
    for (const set of this.open.values()) {
      for (const upstream of set) {
        (upstream as Socket & { [CLIENT]?: Socket })[CLIENT]?.destroy();
        upstream.destroy();
      }
    }
    for (const set of this.dials.values()) for (const dial of set) dial.socket.destroy();
  }

  /** Forwarded connections open now, all servers. */
  get size(): number {
    let n = 0;
    for (const set of this.open.values()) n += set.size;
    return n;
  }
}

const CLIENT = Symbol('switchyard.tcpClient');
