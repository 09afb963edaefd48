/**
 * The TCP router stage of an entry point, in Traefik's model (docs/architecture.md): on an entry
 * point that has TCP routers, peek at the first bytes. A TLS ClientHello is matched against the
 * TLS TCP routers (SNI, ALPN, client IP, by priority): a passthrough router forwards the raw TLS
 * stream untouched, a terminating one hands the socket to the TLS terminator first; a ClientHello
 * no TCP router takes goes to the HTTPS path. Plaintext goes to a plaintext TCP router
 * (`HostSNI(`*`)`, `ClientIP`) if one matches, else to HTTP. An entry point without TCP routers
 * does not peek at all: `tcpDispatchStage` returns the HTTP handler untouched for it (checked per
 * connection against the current table, one map lookup).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { caughtAtBoundary } from '../../core/last-resort.js';
import type { Logger } from '../../core/logger.js';
import { plainAddress } from '../../proxy/request-headers.js';
import type { TcpRoute, TcpRoutingTable } from '../../tcp/table.js';
import type { TlsPolicy } from '../../tls/tls-policy.js';
import { type ClientHelloVerdict, inspectClientHello, MAX_CLIENT_HELLO_PEEK } from './client-hello.js';
import { setConnectionFacts } from './connection-facts.js';
import type { ConnectionHandler } from './listener.js';
import { afterPeek, readPrefix } from './peek.js';

/**
 * Terminates TLS on a peeked socket for a TCP router with `tls` (no passthrough) under the
 * router's policy (certificate store, its `tls.options`); `prefix` is the peeked ClientHello
 * (its SNI picks the certificate). Calls `next` with the decrypted socket once the handshake is
 * done, or destroys the socket on failure. The entry point wires it to its TLS stage.
 */
export type TlsTerminator = (
  socket: Socket,
  prefix: Buffer,
  policy: TlsPolicy,
  next: (decrypted: TLSSocket) => void,
) => void;

/** What the stage needs; the handlers receive sockets whose first bytes were peeked (paused). */
export interface TcpDispatchOptions {
  readonly entryPoint: string;
  /** The current TCP table (swapped at each configuration change). */
  readonly table: () => TcpRoutingTable;
  /** Whether the entry point has HTTP routers now (plaintext or TLS). */
  readonly hasHttpRoutes: () => boolean;
  /** Whether it has HTTP routers with TLS now (without them and without TLS TCP routers, no peek). */
  readonly hasHttpsRoutes: () => boolean;
  /** Plaintext HTTP for a fresh (never peeked) socket: the entry point's HTTP/1.1 server. */
  readonly http: ConnectionHandler;
  /**
   * The HTTPS path for a peeked socket starting with a ClientHello no TCP router took. Wired by
   * the lead to the TLS stage; by default the HTTP server (which answers 400 to TLS bytes).
   */
  readonly https?: ConnectionHandler;
  /** TLS termination for TCP routers with `tls` and no passthrough. */
  readonly terminator: TlsTerminator;
  /**
   * Whether the HTTPS path answers a TLS-ALPN-01 handshake (ALPN `acme-tls/1`) for this name:
   * then no TCP router sees it (Traefik's ACME TLS router outranks them unless allowACMEByPass).
   */
  readonly acmeTlsChallenge?: (serverName: string) => boolean;
  /** Longest wait for the first bytes (ms; `respondingTimeouts.readTimeout`, 0 = 60 s). */
  readonly peekTimeoutMs: number;
  readonly logger: Logger;
  /** Called with each connection that goes through TCP routing (the entry point closes them on shutdown). */
  readonly track?: (socket: Socket) => void;
}

/** Builds the stage's connection handler. */
export function tcpDispatchStage(options: TcpDispatchOptions): ConnectionHandler {
  const { entryPoint, table, hasHttpRoutes, hasHttpsRoutes, http, logger } = options;
  const httpPeeked = afterPeek(http);
  const https = options.https ?? httpPeeked;
  const terminator = options.terminator;
  const timeout = options.peekTimeoutMs > 0 ? options.peekTimeoutMs : 60_000;
  // The client address is read before any TLS socket wraps the connection: a PROXY header's
  // address is set on the accepted socket only.
  const start = (route: TcpRoute, socket: Socket, serverName: string, clientAddress: string) => {
    route.handler({
      socket,
      entryPoint,
      router: route.name,
      clientAddress,
      serverName,
      startedAt: performance.now(),
    });
  };
  return (socket) => {
    const current = table();
    if (!current.has(entryPoint)) {
      http(socket);
      // A socket the PROXY stage peeked at is paused with its bytes put back.
      if (socket.isPaused()) socket.resume();
      return;
    }
    options.track?.(socket);
    const routes = current.of(entryPoint);
    const clientAddress = plainAddress(socket.remoteAddress);
    // Nothing TLS to tell apart (no TLS TCP router, no HTTPS router): the connection is
    // plaintext TCP or plaintext HTTP, decided without waiting for the client's first byte —
    // server-speaks-first protocols (SMTP, MySQL) would hang on that wait. As Traefik: a
    // plaintext TCP router that matches takes it, else HTTP routers, else it is closed.
    if (routes.tls.length === 0 && !hasHttpsRoutes()) {
      const route = current.match(entryPoint, { tls: false, serverName: '', alpn: [], remoteAddress: clientAddress });
      if (route !== undefined) guarded(() => start(route, socket, '', clientAddress), socket);
      else if (hasHttpRoutes()) {
        http(socket);
        if (socket.isPaused()) socket.resume();
      } else socket.destroy();
      return;
    }
    let verdict: ClientHelloVerdict = { kind: 'partial' };
    const decided = (bytes: Buffer) => {
      verdict = inspectClientHello(bytes);
      return verdict.kind !== 'partial';
    };
    // readPrefix never rejects: a timeout or an early close leaves the verdict `partial`.
    readPrefix(socket, decided, timeout, MAX_CLIENT_HELLO_PEEK).then((prefix) =>
      guarded(() => dispatch(socket, verdict as ClientHelloVerdict, prefix), socket),
    );
    const dispatch = (peeked: Socket, hello: ClientHelloVerdict, prefix: Buffer) => {
      // Read the table again: a swap may have happened while the first bytes were awaited.
      const now = table();
      if (hello.kind === 'invalid' || hello.kind === 'partial') {
        logger.debug(
          { entryPoint, client: clientAddress, reason: hello.kind === 'invalid' ? hello.reason : 'closed early' },
          'bad ClientHello',
        );
        peeked.destroy();
        return;
      }
      if (hello.kind === 'plaintext') {
        const route = now.match(entryPoint, { tls: false, serverName: '', alpn: [], remoteAddress: clientAddress });
        if (route === undefined) httpPeeked(peeked);
        else start(route, peeked, '', clientAddress);
        return;
      }
      if (
        options.acmeTlsChallenge !== undefined &&
        hello.alpn.includes('acme-tls/1') &&
        options.acmeTlsChallenge(hello.serverName)
      ) {
        https(peeked);
        return;
      }
      const input = { tls: true, serverName: hello.serverName, alpn: hello.alpn, remoteAddress: clientAddress };
      const route = now.match(entryPoint, input);
      if (route === undefined) {
        https(peeked);
        return;
      }
      if (route.tls === 'passthrough') {
        setConnectionFacts(peeked, { secure: true, serverName: hello.serverName || null, alpn: null });
        start(route, peeked, hello.serverName, clientAddress);
        return;
      }
      if (route.tlsPolicy === null) {
        // A terminating route always has one (build-tcp.ts); refuse rather than guess.
        peeked.destroy();
        return;
      }
      terminator(peeked, prefix, route.tlsPolicy, (decrypted) =>
        guarded(() => start(route, decrypted, hello.serverName, clientAddress), decrypted),
      );
    };
  };
}

/** Runs a step of a connection's routing; nothing thrown escapes the socket's callbacks. */
function guarded(step: () => void, socket: Socket): void {
  try {
    step();
  } catch (thrown) {
    caughtAtBoundary(thrown, 'TCP routing');
    socket.destroy();
  }
}
