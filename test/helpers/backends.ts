/** Real upstream servers for tests, on 127.0.0.1 with ephemeral ports. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running test backend. */
export interface Backend {
  name: string;
  port: number;
  url: string;
  server: Server;
  /** Requests received so far. */
  hits: number;
  /** Currently open connections from the proxy. */
  openConnections(): number;
  close(): Promise<void>;
}

/** A handler for a custom backend; the default echoes the request as JSON. */
export type BackendHandler = (req: IncomingMessage, res: ServerResponse, backend: Backend) => void;

/** Echoes method, url, headers and the backend name as JSON (and `X-Backend`). */
export const echo: BackendHandler = (req, res, backend) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.stringify({
      backend: backend.name,
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': backend.name });
    res.end(body);
  });
};

/** Starts a backend; the default handler echoes. */
export async function startBackend(name: string, handler: BackendHandler = echo): Promise<Backend> {
  const sockets = new Set<Socket>();
  const backend = { name, hits: 0 } as Backend;
  const server = createServer((req, res) => {
    backend.hits++;
    handler(req, res, backend);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(backend, {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return backend;
}
