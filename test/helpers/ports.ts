/** Ports for tests on 127.0.0.1. */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { endianness } from 'node:os';

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

/** `/proc/net/tcp` writes an IPv4 address as one 32-bit word in the host's byte order. */
function ipv4FromProc(hex: string): string {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return (endianness() === 'LE' ? bytes.reverse() : bytes).join('.');
}

/**
 * The local addresses listening on `port` right now, read from Linux's `/proc/net/tcp` and
 * `/proc/net/tcp6` (`0.0.0.0`, `127.0.0.1`, `::` or another IPv6 address in full hex); null
 * where there is no /proc. The kernel's view, so it shows what was bound, not what was asked.
 */
export function listeningAddresses(port: number): string[] | null {
  if (!existsSync('/proc/net/tcp')) return null;
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      // `sl local_address rem_address st …`; st 0A is LISTEN.
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue;
      const [address = '', portHex = ''] = local.split(':');
      if (Number.parseInt(portHex, 16) !== port) continue;
      if (address.length === 8) found.push(ipv4FromProc(address));
      else found.push(/^0+$/.test(address) ? '::' : address.toLowerCase());
    }
  }
  return found;
}
