/**
 * What one entry point's TLS handshakes follow during one configuration: the certificate store,
 * the options each server name gets (from the `Host` rules of the TLS routers naming them, as
 * Traefik does), and the default options for the rest. Built with the routing table and swapped
 * with it; read once per handshake.
 */
import type { CertificateStore } from './certificate-store.js';
import type { CompiledTlsOptions } from './tls-options.js';

/** The TLS side of an entry point for one configuration. */
export class TlsPolicy {
  constructor(
    readonly store: CertificateStore,
    /** The `default` options: for names no TLS router claims, and for clients without SNI. */
    readonly defaults: CompiledTlsOptions,
    private readonly byHost: ReadonlyMap<string, CompiledTlsOptions>,
  ) {}

  /** The options for a server name (lower-case), or the defaults. */
  optionsFor(serverName: string | null): CompiledTlsOptions {
    if (serverName === null || this.byHost.size === 0) return this.defaults;
    return this.byHost.get(serverName) ?? this.defaults;
  }
}
