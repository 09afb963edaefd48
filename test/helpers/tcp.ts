/** TCP and UDP parts for tests: echo servers, a TLS server naming itself, a raw client. */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { PemPair } from './self-signed.js';

/** A listening server and its port. */
export interface Listening<S> {
  server: S;
  port: number;
  /** Sockets accepted so far. */
  accepted: Socket[];
  close(): Promise<void>;
}

async function listen<S extends Server>(server: S, accepted: Socket[]): Promise<Listening<S>> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as { port: number }).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that answers each chunk with `<name>:<chunk>`. */
export function startTcpEcho(name: string): Promise<Listening<Server>> {
  const accepted: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket);
    socket.on('data', (chunk) => socket.write(`${name}:${chunk.toString('latin1')}`));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  });
  return listen(server, accepted);
}

/** A TLS server presenting `pem`, answering `<name>:<chunk>`. */
export function startTlsEcho(name: string, pem: PemPair): Promise<Listening<TlsServer>> {
  const accepted: Socket[] = [];
  const server = createTlsServer({ cert: pem.cert, key: pem.key, ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
    accepted.push(socket);
    socket.on('data', (chunk) => socket.write(`${name}:${chunk.toString('latin1')}`));
    socket.on('error', () => socket.destroy());
  });
  return listen(server, accepted);
}

/** A TCP server that hands each accepted socket to `onSocket`. */
export function startTcpServer(onSocket: (socket: Socket) => void): Promise<Listening<Server>> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => socket.destroy());
    onSocket(socket);
  });
  return listen(server, accepted);
}

/** Connects to 127.0.0.1:port. */
export function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `text` and resolves with the first data that comes back (or '' on close). */
export function exchange(socket: Socket, text: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      resolve(chunk.toString('latin1'));
    };
    const onClose = () => {
      cleanup();
      resolve('');
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(text);
  });
}

/** Resolves when the socket closes (true) or after `ms` (false). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A UDP server answering each datagram with `<name>:<datagram>`. */
export async function startUdpEcho(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', (data, from) =>
    socket.send(Buffer.concat([Buffer.from(`${name}:`), data]), from.port, from.address),
  );
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** Sends one datagram from a fresh socket and resolves with the answer, or null after `ms`. */
export async function udpAsk(port: number, data: Buffer | string, ms = 2000): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      socket.once('message', (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      socket.send(data, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
