/**
 * A TCP forwarder standing where pebble validates (its `httpPort` / `tlsPort`): like an L4
 * balancer in front of one or more Switchyard instances. It holds every connection until
 * `open()` (so a test can look at the proxy before any validation can succeed), then pipes
 * each one to the next target port in turn (round robin).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Forwarder {
  port: number;
  /** Connections forwarded so far, per target port. */
  forwarded: Map<number, number>;
  /** Lets held and future connections through. */
  open(): void;
  setTargets(ports: number[]): void;
  close(): Promise<void>;
}

/** `targets`: the ports, or a function asked for them at each connection (e.g. "the instances that did not order"). */
export async function startForwarder(
  port: number,
  targets: number[] | (() => number[]),
  open = true,
): Promise<Forwarder> {
  let ports: () => number[] = typeof targets === 'function' ? targets : () => targets;
  let next = 0;
  let gateOpen = open;
  const held: Socket[] = [];
  const sockets = new Set<Socket>();
  const forwarded = new Map<number, number>();
  const pipe = (client: Socket) => {
    if (client.destroyed) return;
    const list = ports();
    if (list.length === 0) {
      client.destroy();
      return;
    }
    const target = list[next++ % list.length] as number;
    forwarded.set(target, (forwarded.get(target) ?? 0) + 1);
    const upstream = connect(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (gateOpen) pipe(client);
    else held.push(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    forwarded,
    open() {
      gateOpen = true;
      for (const client of held.splice(0)) pipe(client);
    },
    setTargets(next: number[]) {
      ports = () => next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
