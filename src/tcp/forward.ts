/**
 * Forwarding one routed TCP connection: pick a server, dial it (TLS if asked, within the dial
 * timeout), write the PROXY header if the service wants one, then copy bytes both ways with
 * backpressure until both sides are done. A server that refuses (or does not answer within the
 * dial timeout) is taken out of rotation for a moment (passive health on the shared upstream
 * state), so the next connection skips it, and this connection tries another server: nothing
 * was sent yet. One side finishing sends FIN to the other and gives it `terminationDelay` to
 * finish too, as Traefik does.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { caughtAtBoundary } from '../core/last-resort.js';
import type { Logger } from '../core/logger.js';
import type { TcpConnection } from './connection.js';
import { encodeProxyHeader } from './proxy-header.js';
import type { TcpPick, TcpService } from './service.js';
import type { TcpCounters, TcpStats } from './stats.js';
import type { TcpUpstreams } from './upstreams.js';

/** How long a server that refused a connection is skipped (ms). */
export const REFUSED_PAUSE_MS = 1_000;

/** What forwarding needs besides the connection and the service. */
export interface ForwardDeps {
  readonly stats: TcpStats;
  readonly upstreams: TcpUpstreams;
  readonly logger: Logger;
}

/** Forwards `connection` to a server of `service`; never throws. */
export function forwardConnection(connection: TcpConnection, service: TcpService, deps: ForwardDeps): void {
  const client = connection.socket;
  const routerStats = deps.stats.router(connection.router);
  routerStats.connections++;
  routerStats.open++;
  // Until a server answers, what the client sends waits in its socket (paused: no read). Its
  // FIN must not close it before the server's answer went back (a half-close travels through).
  client.pause();
  client.allowHalfOpen = true;
  let clientGone = false;
  const onEarlyClose = () => {
    clientGone = true;
  };
  client.once('close', onEarlyClose);
  client.on('error', ignore);
  const failed: string[] = [];
  const attempt = () => {
    if (clientGone) {
      finishRouter(routerStats, connection, 0, 0);
      return;
    }
    const now = Date.now();
    const picked = service.pick(now, connection.clientAddress, failed.length === 0 ? null : failed);
    if (picked === undefined || failed.includes(picked.server.key)) {
      deps.logger.debug({ router: connection.router, service: service.name }, 'no TCP server available');
      routerStats.failures++;
      client.destroy();
      finishRouter(routerStats, connection, 0, 0);
      return;
    }
    dial(picked, connection, deps, (upstream) => {
      if (upstream === null) {
        failed.push(picked.server.key);
        attempt();
        return;
      }
      client.off('close', onEarlyClose);
      if (clientGone) {
        upstream.destroy();
        picked.server.state.inFlight--;
        finishRouter(routerStats, connection, 0, 0);
        return;
      }
      splice(connection, upstream, picked, deps, routerStats);
    });
  };
  attempt();
}

function ignore(): void {}

function finishRouter(stats: TcpCounters, connection: TcpConnection, bytesIn: number, bytesOut: number): void {
  stats.open--;
  stats.bytesIn += bytesIn;
  stats.bytesOut += bytesOut;
  stats.durationSeconds += (performance.now() - connection.startedAt) / 1000;
}

/** Dials the picked server; `done(null)` when it refused or timed out (the server is paused). */
function dial(
  picked: TcpPick,
  connection: TcpConnection,
  deps: ForwardDeps,
  done: (upstream: Socket | null) => void,
): void {
  const { server, transport } = picked;
  server.state.inFlight++;
  server.state.requests++;
  // `servers[].tls: true` or a `tls` section in the servers transport dials with TLS.
  const tls = transport.tls;
  const useTls = server.tls || tls !== null;
  let upstream: Socket;
  try {
    upstream = useTls
      ? connectTls({
          host: server.host,
          port: server.port,
          servername: tls?.serverName ?? (isIpLiteral(server.host) ? undefined : server.host),
          rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
          ca: tls?.ca as string[] | undefined,
        })
      : connectTcp({ host: server.host, port: server.port, allowHalfOpen: true });
    upstream.allowHalfOpen = true;
  } catch (error) {
    caughtAtBoundary(error, 'TCP dial');
    server.state.inFlight--;
    done(null);
    return;
  }
  const pending = deps.upstreams.dialing(server.host, server.port, upstream);
  let settled = false;
  const fail = (reason: string) => {
    if (settled) return;
    settled = true;
    pending.done();
    if (timer !== undefined) clearTimeout(timer);
    upstream.destroy();
    server.state.inFlight--;
    server.state.failures++;
    const now = Date.now();
    server.state.markPassiveDown(now + REFUSED_PAUSE_MS, now);
    deps.logger.warn(
      { router: connection.router, service: picked.service, server: server.key, reason },
      'TCP server unreachable',
    );
    done(null);
  };
  const timer =
    transport.dialTimeout > 0
      ? setTimeout(() => fail(`no connection within ${transport.dialTimeout} ms`), transport.dialTimeout)
      : undefined;
  upstream.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  upstream.once('close', () => fail('closed while connecting'));
  upstream.once(useTls ? 'secureConnect' : 'connect', () => {
    if (settled) return;
    settled = true;
    pending.done();
    if (timer !== undefined) clearTimeout(timer);
    upstream.removeAllListeners('error');
    upstream.removeAllListeners('close');
    done(upstream);
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Copies bytes both ways until both sides are done; counts them when the connection closes. */
function splice(
  connection: TcpConnection,
  upstream: Socket,
  picked: TcpPick,
  deps: ForwardDeps,
  routerStats: TcpCounters,
): void {
  const client = connection.socket;
  const serviceStats = deps.stats.service(picked.service);
  serviceStats.connections++;
  serviceStats.open++;
  const release = deps.upstreams.openConnection(picked.server.host, picked.server.port, client, upstream);
  const version = picked.transport.proxyProtocol;
  if (version !== null) {
    upstream.write(
      encodeProxyHeader(
        version,
        { address: connection.clientAddress, port: client.remotePort ?? 0 },
        { address: client.localAddress ?? '', port: client.localPort ?? 0 },
      ),
    );
  }
  const upstreamBase = upstream.bytesWritten;
  const delay = picked.transport.terminationDelay;
  let lingering: NodeJS.Timeout | undefined;
  const linger = () => {
    // One side finished: the other gets terminationDelay to finish as well.
    if (lingering !== undefined || delay < 0) return;
    lingering = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, delay);
    lingering.unref();
  };
  let closed = 0;
  const onClose = () => {
    closed++;
    client.destroy();
    upstream.destroy();
    if (closed < 2) return;
    if (lingering !== undefined) clearTimeout(lingering);
    picked.server.state.inFlight--;
    release();
    const bytesIn = client.bytesRead;
    const bytesOut = client.bytesWritten;
    finishRouter(routerStats, connection, bytesIn, bytesOut);
    serviceStats.open--;
    serviceStats.bytesIn += Math.max(0, upstream.bytesWritten - upstreamBase);
    serviceStats.bytesOut += upstream.bytesRead;
    serviceStats.durationSeconds += (performance.now() - connection.startedAt) / 1000;
  };
  client.once('close', onClose);
  upstream.once('close', onClose);
  upstream.on('error', ignore);
  client.once('end', linger);
  upstream.once('end', linger);
  // pipe() ends the destination when the source ends: a half-close travels through.
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}
