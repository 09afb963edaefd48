/** Ports for tests on 127.0.0.1. */
import { createServer } from 'node:net';

/**
 * A port nothing listens on right now: bind an ephemeral one, note it, close it. Free for a
 * process about to bind it, refused for a client (a server that is not there).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
