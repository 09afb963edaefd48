/**
 * What the listener learned about a connection before HTTP saw it: whether it is encrypted, the
 * server name and protocol the client asked for (TLS SNI and ALPN). A request's scheme comes from
 * here, not from a constant, so an HTTPS listener needs no change in request handling.
 */
import type { Duplex } from 'node:stream';

/** Facts of one client connection. */
export interface ConnectionFacts {
  /** Whether the connection is TLS (the request's scheme is then `https`). */
  readonly secure: boolean;
  /** TLS SNI, or null. */
  readonly serverName: string | null;
  /** The ALPN protocol agreed on (`h2`, `http/1.1`), or null. */
  readonly alpn: string | null;
  /** The TLS version agreed on (`TLSv1.3`), for the access log and the live view; absent on plaintext. */
  readonly tlsVersion?: string;
  /** The cipher suite agreed on, IANA name (`TLS_AES_128_GCM_SHA256`); absent on plaintext. */
  readonly cipher?: string;
  /** The client certificate's subject, when one was presented and accepted (mTLS). */
  readonly clientSubject?: string;
}

/** A plaintext TCP connection. */
export const PLAINTEXT: ConnectionFacts = Object.freeze({ secure: false, serverName: null, alpn: null });

const FACTS = Symbol('switchyard.connectionFacts');

type WithFacts = Duplex & { [FACTS]?: ConnectionFacts };

/** Records what the pipeline learned about `socket` (plaintext sockets need nothing). */
export function setConnectionFacts(socket: Duplex, facts: ConnectionFacts): void {
  (socket as WithFacts)[FACTS] = facts;
}

/** The facts of the connection `socket` belongs to. */
export function connectionFacts(socket: Duplex): ConnectionFacts {
  return (socket as WithFacts)[FACTS] ?? PLAINTEXT;
}
