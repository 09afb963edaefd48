/**
 * TCP middlewares (`tcp.middlewares`): `ipAllowList` (connections from other addresses are
 * closed) and `inFlightConn` (at most `amount` simultaneous connections per client IP). Each is
 * built once from its validated options and wraps the next handler.
 */
import { type IpNetwork, networkContains, parseIp, parseNetwork } from '../rules/index.js';
import type { TcpHandler, TcpMiddleware } from './connection.js';

const scratch = new Uint32Array(4);

/** `ipAllowList.sourceRange`: throws naming a bad range. */
export function ipAllowList(sourceRange: readonly string[], onRefused: (client: string) => void): TcpMiddleware {
  const networks: IpNetwork[] = sourceRange.map((range, index) => {
    const network = parseNetwork(range.trim());
    if (network === undefined)
      throw new Error(`ipAllowList.sourceRange.${index}: invalid IP or CIDR ${JSON.stringify(range)}`);
    return network;
  });
  if (networks.length === 0) throw new Error('ipAllowList.sourceRange: at least one range is needed');
  return (next: TcpHandler): TcpHandler =>
    (connection) => {
      const address = connection.clientAddress;
      if (address !== '' && parseIp(address, scratch) && networks.some((n) => networkContains(n, scratch))) {
        next(connection);
        return;
      }
      onRefused(address);
      connection.socket.destroy();
    };
}

/** `inFlightConn.amount`: simultaneous connections per client IP; more are closed at once. */
export function inFlightConn(amount: number, onRefused: (client: string) => void): TcpMiddleware {
  if (amount <= 0) throw new Error('inFlightConn.amount: must be a positive number');
  // Shared by every router using this middleware, as in Traefik (one limiter per middleware).
  const open = new Map<string, number>();
  return (next: TcpHandler): TcpHandler =>
    (connection) => {
      const address = connection.clientAddress;
      const count = open.get(address) ?? 0;
      if (count >= amount) {
        onRefused(address);
        connection.socket.destroy();
        return;
      }
      open.set(address, count + 1);
      connection.socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left <= 0) open.delete(address);
        else open.set(address, left);
      });
      next(connection);
    };
}
