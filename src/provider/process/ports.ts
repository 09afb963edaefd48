/**
 * Free ports for replicas. The kernel picks one (listen on port 0 on every interface, so the port
 * is free for whichever interface the app binds), and a port is never handed out twice in one
 * run: a replica that restarts gets a fresh port, so upstream state (in-flight counts, draining)
 * kept for the old URL can never be mistaken for the new process's.
 */
import { createServer } from 'node:net';

/** Hands out ports that were free when asked for and never given before in this process. */
export class PortAllocator {
  private readonly given = new Set<number>();

  /** Resolves with a free TCP port. */
  async allocate(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await kernelPort();
      if (!this.given.has(port)) {
        this.given.add(port);
        return port;
      }
    }
    throw new Error('no free TCP port found after 20 attempts');
  }
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
