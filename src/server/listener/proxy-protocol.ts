/**
 * The PROXY protocol stage of an entry point (`entryPoints.<ep>.proxyProtocol`): a load balancer
 * in front says who the client is in a header before the connection's bytes (versions 1 and 2).
 * From a trusted peer (`trustedIPs`, or every peer with `insecure`) the header is read if present
 * and its source address becomes the connection's: `socket.remoteAddress` is replaced on the
 * socket itself, so `ClientIP` (HTTP and TCP), access logs, `X-Forwarded-For`, ipAllowList and
 * TCP routing all see the client without a change of their own. From any other peer a PROXY
 * header is refused (the connection is closed): a client must not choose its own address.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../core/logger.js';
import { plainAddress } from '../../proxy/request-headers.js';
import { compileRuleMatcher, type RuleMatcher } from '../../rules/index.js';
import { inspectProxyHeader } from '../../tcp/proxy-header.js';
import type { ConnectionHandler } from './listener.js';
import { readPrefix } from './peek.js';

/** `entryPoints.<ep>.proxyProtocol`. */
export interface ProxyProtocolOptions {
  /** Peers whose PROXY header is used (IPs or CIDRs). */
  readonly trustedIPs: readonly string[];
  /** Use the header from every peer. */
  readonly insecure: boolean;
}

/** How long a peer may take to send its header (ms). */
const HEADER_TIMEOUT_MS = 10_000;
/** Enough for either version's header (v2 TLVs included). */
const HEADER_MAX_BYTES = 16 + 2048;

/**
 * Wraps `next` (a handler for a peeked, paused socket: see `afterPeek`) with the PROXY protocol stage; returns `next` itself when the entry point has no
 * `proxyProtocol` section (nothing to pay per connection).
 */
export function proxyProtocolStage(
  options: ProxyProtocolOptions | undefined,
  next: ConnectionHandler,
  logger: Logger,
  entryPoint: string,
): ConnectionHandler {
  if (options === undefined || (!options.insecure && options.trustedIPs.length === 0)) return next;
  const trusted: RuleMatcher | null = options.insecure
    ? null
    : compileRuleMatcher(options.trustedIPs.map((ip) => `ClientIP(\`${ip}\`)`).join(' || ')).match;
  const isTrusted = (address: string) =>
    trusted === null || trusted({ method: '', host: '', path: '', query: '', headers: {}, remoteAddress: address });
  return (socket) => {
    const peer = plainAddress(socket.remoteAddress);
    const trust = isTrusted(peer);
    const decided = (bytes: Buffer) => inspectProxyHeader(bytes).kind !== 'partial';
    readPrefix(socket, decided, HEADER_TIMEOUT_MS, HEADER_MAX_BYTES).then(
      (bytes) => {
        const verdict = inspectProxyHeader(bytes);
        // Nothing at all before the wait ended: a protocol where the server speaks first (SMTP,
        // MySQL) from a client without a header. A header is optional, so it goes on as is.
        if (verdict.kind === 'none' || (bytes.length === 0 && !socket.destroyed)) {
          handOn(socket, next);
          return;
        }
        if (!trust) {
          logger.warn({ entryPoint, peer }, 'PROXY header from an untrusted peer refused');
          socket.destroy();
          return;
        }
        if (verdict.kind !== 'header') {
          logger.warn(
            { entryPoint, peer, reason: verdict.kind === 'invalid' ? verdict.reason : 'incomplete' },
            'bad PROXY header',
          );
          socket.destroy();
          return;
        }
        // Consume the header: read it off the stream (it was put back by the peek).
        socket.read(verdict.length);
        if (verdict.source !== null) adoptClientAddress(socket, verdict.source.address, verdict.source.port);
        handOn(socket, next);
      },
      // readPrefix never rejects: a timeout or an early close ends as an incomplete header above.
    );
  };
}

/** Gives the socket to the next stage, guarded: nothing thrown may escape a socket callback. */
function handOn(socket: Socket, next: ConnectionHandler): void {
  try {
    next(socket);
  } catch {
    socket.destroy();
  }
}

/**
 * Makes `address:port` the socket's peer for everything downstream. A TLS socket made over it
 * reads its peer from the native handle, so the TLS stage copies the adopted address over
 * (`carryClientAddress`).
 */
export function adoptClientAddress(socket: Socket, address: string, port: number): void {
  Object.defineProperty(socket, 'remoteAddress', { value: address, configurable: true });
  Object.defineProperty(socket, 'remotePort', { value: port, configurable: true });
  Object.defineProperty(socket, 'remoteFamily', { value: address.includes(':') ? 'IPv6' : 'IPv4', configurable: true });
}

/** Gives `to` (a TLS socket over `from`) the client address a PROXY header gave `from`, if any. */
export function carryClientAddress(from: Socket, to: Socket): void {
  if (Object.hasOwn(from, 'remoteAddress')) adoptClientAddress(to, from.remoteAddress as string, from.remotePort ?? 0);
}
