/**
 * TLS termination, a stage of the listener: wraps an accepted socket in a server TLSSocket whose
 * certificate and options are chosen per handshake from the entry point's current `TlsPolicy`
 * (SNI: exact name, wildcard, default; `sniStrict` refuses with an alert), then hands the
 * decrypted socket to the HTTP/1.1 server, or to the HTTP/2 one when ALPN chose `h2`. A stalled
 * handshake is cut after `handshakeTimeout`; handshake failures are counted and logged at debug,
 * never thrown.
 *
 * The entry point hands over the peeked ClientHello: its SNI picks the options and the
 * certificate before the TLS socket is made (Node would apply only the certificate of a context
 * chosen later, in SNICallback), and its ALPN tells a TLS-ALPN-01 challenge (`acme-tls/1`, served
 * from `store.challengeContext`) from an ordinary handshake.
 */
import type { Socket } from 'node:net';
import tlsModule, { type SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from '../../core/logger.js';
import { ACME_TLS_ALPN } from '../../tls/certificate-store.js';
import { parseClientHello } from '../../tls/client-hello.js';
import type { CompiledTlsOptions } from '../../tls/tls-options.js';
import type { TlsPolicy } from '../../tls/tls-policy.js';
import { setConnectionFacts } from './connection-facts.js';
import type { ConnectionHandler } from './listener.js';
import { carryClientAddress } from './proxy-protocol.js';

/** What the TLS stage needs from its entry point. */
export interface TlsStageOptions {
  /** The entry point's name (logs). */
  readonly entryPoint: string;
  /** The current policy (read once per connection, so a swap applies to the next handshake). */
  readonly policy: () => TlsPolicy | undefined;
  /** Longest a handshake may take (ms). */
  readonly handshakeTimeout: number;
  /** Where decrypted HTTP/1.1 connections go. */
  readonly http1: ConnectionHandler;
  /** Where connections that chose `h2` go; without it `h2` is not offered. */
  readonly h2?: ConnectionHandler;
  readonly logger: Logger;
}

/** Counters of the stage (API, tests). */
export interface TlsStageCounters {
  handshakes: number;
  failures: number;
  timeouts: number;
}

/**
 * A connection terminated for someone else than the HTTP servers (a TCP router with `tls` and no
 * passthrough): its policy replaces the entry point's, and the decrypted socket goes to `secure`.
 */
export interface TlsTermination {
  readonly policy: TlsPolicy;
  readonly secure: (socket: TLSSocket) => void;
}

/** The stage: a connection handler (given the peeked ClientHello when there is one), and its counters. */
export interface TlsStage {
  readonly handle: (socket: Socket, prefix?: Buffer, termination?: TlsTermination) => void;
  readonly counters: TlsStageCounters;
}

/** Per-connection state, kept on the TLS socket (the callbacks get it as `this`). */
interface HandshakeState {
  readonly stage: StageInternals;
  readonly policy: TlsPolicy;
  options: CompiledTlsOptions;
  serverName: string | null;
  challenge: boolean;
  timer: NodeJS.Timeout | null;
  /** Where the decrypted socket goes instead of the HTTP servers (TCP routers), or null. */
  readonly secure: ((socket: TLSSocket) => void) | null;
}

interface StageInternals extends TlsStageOptions {
  readonly counters: TlsStageCounters;
}

const STATE = Symbol('switchyard.tlsHandshake');

type StatefulSocket = TLSSocket & { [STATE]: HandshakeState };

/** Creates the TLS stage of an entry point. */
export function createTlsStage(options: TlsStageOptions): TlsStage {
  // Node counts a server socket's handshakes and fails it with ERR_TLS_SESSION_ATTACK past this
  // limit (default 3 per 10 minutes). One — the initial handshake — makes the first renegotiation
  // attempt end the connection, as Go's servers do (they never renegotiate). Process-wide: the
  // proxy is the only TLS server in its process.
  (tlsModule as { CLIENT_RENEG_LIMIT: number }).CLIENT_RENEG_LIMIT = 1;
  const stage: StageInternals = { ...options, counters: { handshakes: 0, failures: 0, timeouts: 0 } };
  const handle = (socket: Socket, prefix?: Buffer, termination?: TlsTermination) => {
    const policy = termination?.policy ?? stage.policy();
    if (policy === undefined) {
      socket.destroy();
      return;
    }
    // The ClientHello was peeked (entry point): the name decides the options and the certificate
    // before the TLS socket exists. Without it (not peeked, or spread over records), the default
    // options apply and SNICallback picks the certificate.
    const hello = prefix === undefined ? null : parseClientHello(prefix);
    const serverName = hello?.serverName ?? null;
    const tlsOptions = policy.optionsFor(serverName);
    let context: SecureContext | undefined;
    let challenge = false;
    if (hello !== null && serverName !== null && hello.alpnProtocols.includes(ACME_TLS_ALPN)) {
      context = policy.store.challengeContext?.(serverName);
      challenge = context !== undefined;
    }
    if (context === undefined) context = certificateContext(stage, policy, tlsOptions, serverName);
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      requestCert: tlsOptions.requestCert,
      // Node refuses a missing or unverified certificate itself only for RequireAndVerifyClientCert;
      // the other policies are checked after the handshake (clientCertificateRefusal).
      rejectUnauthorized: tlsOptions.clientAuth === 'RequireAndVerifyClientCert',
      ...(hello === null ? { SNICallback: onServerName } : {}),
      ALPNCallback: onAlpn,
    }) as StatefulSocket;
    // The client's address from a PROXY header (the TLS socket would read the balancer's).
    carryClientAddress(socket, tls);
    tls[STATE] = {
      stage,
      policy,
      options: tlsOptions,
      serverName,
      challenge,
      timer: setTimeout(onHandshakeTimeout, stage.handshakeTimeout, tls),
      secure: termination?.secure ?? null,
    };
    // The peek left the TCP socket paused, which stops reading on the handle the TLS socket now
    // shares: without this, what arrives when no request is being read (an alert, the peer's
    // close) would never be seen, and such a connection would stay open.
    socket.resume();
    socket.on('error', ignoreError);
    tls.on('error', onTlsError);
    tls.once('secure', onSecure);
    // A peer that closes mid-handshake without an error must not leave its timer (and socket) alive.
    tls.once('close', onClose);
  };
  return { handle, counters: stage.counters };
}

/** The context serving `serverName` under `options`: its certificate, the default one, or a refusal (`sniStrict`). */
function certificateContext(
  stage: StageInternals,
  policy: TlsPolicy,
  options: CompiledTlsOptions,
  serverName: string | null,
): SecureContext {
  const store = policy.store;
  const certificate = serverName === null ? undefined : store.lookup(serverName);
  if (certificate !== undefined) return options.contextFor(certificate);
  if (options.sniStrict) {
    stage.logger.debug({ entryPoint: stage.entryPoint, serverName }, 'TLS: strict SNI, no certificate for this name');
    return options.refusalContext();
  }
  const fallback = store.defaultCertificate;
  return fallback === null ? options.refusalContext() : options.contextFor(fallback);
}

function ignoreError(): void {
  // The TLS socket on top reports the connection's errors.
}

/** ALPN: the first of the options' protocols the client offers and Switchyard serves (Go's server preference). */
function onAlpn(this: StatefulSocket, hello: { servername: string; protocols: string[] }): string | undefined {
  const state = this[STATE];
  if (state.challenge) return ACME_TLS_ALPN;
  const offered = state.options.alpnProtocols;
  for (const protocol of offered) {
    // A TCP router forwards whatever was negotiated; only the HTTP path needs an h2 server.
    if (protocol === 'h2' && state.stage.h2 === undefined && state.secure === null) continue;
    if (protocol === ACME_TLS_ALPN) continue;
    if (hello.protocols.includes(protocol)) return protocol;
  }
  // No protocol in common: the handshake ends with a no_application_protocol alert, as Go's does.
  return undefined;
}

/**
 * SNI when the ClientHello could not be read ahead: the certificate for the name under the
 * default options (Node takes only the certificate from a context given here).
 */
function onServerName(
  this: StatefulSocket,
  servername: string,
  done: (error: Error | null, context?: SecureContext) => void,
): void {
  const state = this[STATE];
  try {
    const name = normalizeServerName(servername);
    state.serverName = name;
    done(null, certificateContext(state.stage, state.policy, state.options, name));
  } catch (error) {
    done(error as Error);
  }
}

function onSecure(this: StatefulSocket): void {
  const state = this[STATE];
  const stage = state.stage;
  if (state.timer !== null) clearTimeout(state.timer);
  state.timer = null;
  if (state.challenge) {
    // A TLS-ALPN-01 validation only needs the handshake.
    this.end();
    return;
  }
  const refusal = clientCertificateRefusal(this, state.options);
  if (refusal !== null) {
    stage.counters.failures++;
    stage.logger.debug(
      { entryPoint: stage.entryPoint, serverName: state.serverName, reason: refusal },
      'TLS: client certificate refused',
    );
    this.destroy();
    return;
  }
  stage.counters.handshakes++;
  const alpn = typeof this.alpnProtocol === 'string' ? this.alpnProtocol : null;
  const cipher = this.getCipher();
  const peer = state.options.requestCert && hasPeerCertificate(this) ? this.getPeerCertificate() : null;
  setConnectionFacts(this, {
    secure: true,
    serverName: state.serverName,
    alpn,
    tlsVersion: this.getProtocol() ?? undefined,
    cipher: cipher?.standardName ?? cipher?.name,
    ...(peer !== null && peer.subject !== undefined ? { clientSubject: subjectLine(peer.subject) } : {}),
  });
  // Node clears `secureConnecting` only on the sockets its own tls.Server made; an HTTP/2 session
  // given a socket still marked so waits for a 'secureConnect' that a server socket never emits,
  // and would never read the client's frames.
  (this as unknown as { secureConnecting: boolean }).secureConnecting = false;
  if (state.secure !== null) state.secure(this);
  else if (alpn === 'h2' && stage.h2 !== undefined) stage.h2(this);
  else stage.http1(this);
}

/** Why the client's certificate is not acceptable under `clientAuthType`, or null. */
function clientCertificateRefusal(socket: TLSSocket, options: CompiledTlsOptions): string | null {
  switch (options.clientAuth) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return null;
    case 'RequireAnyClientCert':
      return hasPeerCertificate(socket) ? null : 'no client certificate';
    case 'VerifyClientCertIfGiven':
      return hasPeerCertificate(socket) ? verifyError(socket) : null;
    case 'RequireAndVerifyClientCert':
      return hasPeerCertificate(socket) ? verifyError(socket) : 'no client certificate';
  }
}

/**
 * The chain verification's verdict on the client certificate (null: trusted). Node computes
 * `authorized` only for sockets its own tls.Server made; this is the call it makes for them.
 * Without it (a future Node), every certificate is refused: failing closed.
 */
function verifyError(socket: TLSSocket): string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })
    ._handle;
  if (typeof handle?.verifyError !== 'function') return 'cannot verify the client certificate';
  const error = handle.verifyError();
  return error === null || error === undefined ? null : (error.code ?? error.message);
}

function hasPeerCertificate(socket: TLSSocket): boolean {
  const peer = socket.getPeerCertificate();
  return peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
}

function subjectLine(subject: Record<string, string | string[] | undefined>): string {
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function onClose(this: StatefulSocket): void {
  const state = this[STATE];
  if (state.timer !== null) clearTimeout(state.timer);
  state.timer = null;
}

function onHandshakeTimeout(socket: StatefulSocket): void {
  const state = socket[STATE];
  state.timer = null;
  state.stage.counters.timeouts++;
  state.stage.logger.debug({ entryPoint: state.stage.entryPoint }, 'TLS: handshake timed out');
  socket.destroy();
}

function onTlsError(this: StatefulSocket, error: NodeJS.ErrnoException): void {
  const state = this[STATE];
  if (state.timer !== null) {
    // Still in the handshake: a failed handshake (bad record, alert, no common version/cipher).
    clearTimeout(state.timer);
    state.timer = null;
    state.stage.counters.failures++;
    state.stage.logger.debug(
      { entryPoint: state.stage.entryPoint, serverName: state.serverName, code: error.code, err: error.message },
      'TLS handshake failed',
    );
  }
  this.destroy();
}

/** The SNI as routing compares it: lower-case, without a trailing dot; null when absent. */
function normalizeServerName(servername: string | false | undefined): string | null {
  if (typeof servername !== 'string' || servername === '') return null;
  const lower = servername.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
