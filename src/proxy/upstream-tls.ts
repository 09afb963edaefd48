/**
 * TLS towards servers (Traefik's `serversTransport`: `insecureSkipVerify`, `rootCAs`,
 * `serverName`, `certificates`), resolved to PEM text when the table is built so that dialing
 * reads no file.
 */

/** A client certificate and its key, PEM. */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/** How a transport checks servers and proves itself to them. */
export interface UpstreamTlsOptions {
  readonly insecureSkipVerify: boolean;
  /** CA certificates (PEM) trusted instead of the system's; empty: the system's. */
  readonly rootCAs: readonly string[];
  /** Name checked against the server's certificate and sent as SNI ('' = the URL's host name). */
  readonly serverName: string;
  /** Client certificate for mTLS to servers, or null. */
  readonly certificate: ClientCertificate | null;
}
