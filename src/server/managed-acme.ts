/**
 * The process that runs the certificate resolvers (one process, or the primary of `--workers`):
 * the `AcmeManager` fed each configuration build, its certificates handed to the TLS store,
 * TLS-ALPN-01 answered through the store. In a module of its own, imported only when
 * `certificatesResolvers` has an entry: it loads the ACME and storage clients.
 */

import type { EntryPointForAcme } from '../acme/domains.js';
import { AcmeManager } from '../acme/manager.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import type { CertificateStore } from '../tls/certificate-store.js';
import { type AcmePem, type AcmeStatusView, type ProcessAcme, serve, wantedAndReported } from './acme-wiring.js';
import type { RuntimeConfiguration } from './runtime.js';

export class ManagedAcme implements ProcessAcme {
  readonly manager: AcmeManager;
  readonly httpEntryPoints: ReadonlySet<string>;
  private readonly held = new Map<string, AcmePem[]>();
  private readonly certificateListeners = new Set<(resolver: string, entries: AcmePem[]) => void>();
  private store: { certificates: CertificateStore; logger: Logger } | undefined;

  /** Throws a ConfigError naming the key path of a bad resolver. */
  constructor(config: StaticConfiguration, logger: Logger) {
    this.manager = new AcmeManager({
      resolvers: config.certificatesResolvers,
      logger,
      entryPoints: Object.keys(config.entryPoints),
      onCertificates: (resolver, entries) => {
        this.held.set(resolver, entries);
        if (this.store) serve(this.store.certificates, this.store.logger, resolver, entries);
        for (const listener of this.certificateListeners) listener(resolver, entries);
      },
    });
    this.httpEntryPoints = this.manager.httpChallengeEntryPoints();
  }

  attach(store: CertificateStore, logger: Logger): void {
    this.store = { certificates: store, logger };
    store.challengeContext = (serverName) => this.manager.challengeContext(serverName);
    for (const [resolver, entries] of this.held) serve(store, logger, resolver, entries);
  }

  httpChallengeResponse(host: string | undefined, path: string): string | undefined {
    return this.manager.httpChallengeResponse(host, path);
  }

  configure(runtime: RuntimeConfiguration, entryPoints: Readonly<Record<string, EntryPointForAcme>>): void {
    this.manager.update(wantedAndReported(runtime, entryPoints, this.manager.resolverNames()));
  }

  start(): Promise<void> {
    return this.manager.start();
  }

  /** Stops renewals and closes the storages (a fleet's leases are released). */
  stop(): Promise<void> {
    return this.manager.stop();
  }

  status(): AcmeStatusView {
    return { resolvers: [...this.manager.resolverNames()], ...this.manager.status() };
  }

  /** Every certificate held now, and each change after (the worker pool forwards them). */
  onCertificates(listener: (resolver: string, entries: AcmePem[]) => void): () => void {
    this.certificateListeners.add(listener);
    return () => this.certificateListeners.delete(listener);
  }

  /** What the resolvers hold now, by resolver. */
  certificates(): [string, AcmePem[]][] {
    return [...this.held];
  }
}
