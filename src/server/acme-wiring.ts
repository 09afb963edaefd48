/**
 * Automatic HTTPS in the running process (docs/acme.md, "Wiring into the proxy"). The Switchyard
 * sees ACME through `ProcessAcme` only:
 *
 * - `ManagedAcme` (one process, or the primary of `--workers`) runs the `AcmeManager`: it is fed
 *   the wanted certificates after each table build (issues go on their routers as warnings),
 *   hands what the resolvers hold to the certificate store, answers challenges, and tells
 *   listeners (the worker pool) of every certificate and challenge change;
 * - `ReplicaAcme` (a data-plane worker) orders nothing: it serves the certificates and answers
 *   the challenges its primary sends, so only one process per instance talks to the CA.
 */
import type { SecureContext } from 'node:tls';
// From the modules themselves, not the acme/ index: that would load the resolvers' ACME and
// storage clients (acme-client, ioredis, etcd3: some 25 MiB of heap) into every process, with
// or without resolvers. ManagedAcme (managed-acme.ts) loads them when there are resolvers.
import { ChallengeAnswers, type ChallengeSnapshot } from '../acme/challenges.js';
import { type EntryPointForAcme, type WantedCertificate, wantedCertificates } from '../acme/domains.js';
import type { AcmeCertificateStatus } from '../acme/resolver.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import { localName } from '../core/names.js';
import type { CertificateStore } from '../tls/certificate-store.js';
import { addError, type PendingObject, type RuntimeConfiguration } from './runtime.js';

/** A certificate as a resolver hands it over (PEM chain and key). */
export interface AcmePem {
  certPem: string;
  keyPem: string;
}

/** What `/api/acme` answers. */
export interface AcmeStatusView {
  resolvers: string[];
  storageErrors: { storage: string; error: string }[];
  certificates: AcmeCertificateStatus[];
}

/** ACME as the Switchyard uses it. */
export interface ProcessAcme {
  /** Entry points that answer `/.well-known/acme-challenge/<token>` before routing (`httpChallenge.entryPoint`). */
  readonly httpEntryPoints: ReadonlySet<string>;
  /** The HTTP-01 answer for this request, or undefined (route it as usual). */
  httpChallengeResponse(host: string | undefined, path: string): string | undefined;
  /** Serves the certificates and the TLS-ALPN-01 answers from `store` (called once, by the Switchyard). */
  attach(store: CertificateStore, logger: Logger): void;
  /** After each table build: the certificates this configuration wants (primary only). */
  configure?(runtime: RuntimeConfiguration, entryPoints: Readonly<Record<string, EntryPointForAcme>>): void;
  /** Before the entry points listen: reads the storage and serves what it holds. */
  start?(): Promise<void>;
  stop?(): void | Promise<void>;
  /** Per certificate, for `/api/acme` and the dashboard. */
  status?(): AcmeStatusView;
}

/** The entry points named by `certificatesResolvers.*.acme.httpChallenge.entryPoint`. */
export function httpChallengeEntryPoints(config: StaticConfiguration): Set<string> {
  const names = new Set<string>();
  for (const { acme } of Object.values(config.certificatesResolvers)) {
    if (acme.httpChallenge) names.add(acme.httpChallenge.entryPoint);
  }
  return names;
}

/**
 * The certificates this configuration wants; the routers that ask a resolver for something it
 * cannot order (no `Host` name, a bad `tls.domains` entry) get a warning: they still serve, with
 * the default certificate, as in Traefik. `switchyard check` reports the same.
 */
export function wantedAndReported(
  runtime: RuntimeConfiguration,
  entryPoints: Readonly<Record<string, EntryPointForAcme>>,
  resolvers: ReadonlySet<string>,
): WantedCertificate[] {
  const store = defaultStore(runtime);
  const wanted = wantedCertificates(runtime.routers.values(), entryPoints, resolvers, {
    tcpRouters: runtime.tcp.routers.values(),
    // A configured defaultCertificate takes precedence, as in Traefik: nothing is ordered then.
    defaultGeneratedCert:
      store?.config?.defaultCertificate === undefined ? store?.config?.defaultGeneratedCert : undefined,
  });
  for (const issue of wanted.issues) {
    const object =
      issue.kind === 'store'
        ? store
        : issue.kind === 'tcp'
          ? runtime.tcp.routers.get(issue.router)
          : runtime.routers.get(issue.router);
    if (object) addError(object, issue.message, 'warning');
  }
  return wanted.certificates;
}

/** `tls.stores.default` (the only store Traefik v3 uses), from whichever provider defines it first. */
function defaultStore(runtime: RuntimeConfiguration): PendingObject | undefined {
  for (const object of runtime.tls.stores.values()) if (localName(object.name) === 'default') return object;
  return undefined;
}

/** For `switchyard check`: the resolvers' configuration fault (a ConfigError naming the key), or undefined. Nothing is started. */
export async function acmeConfigurationError(config: StaticConfiguration): Promise<Error | undefined> {
  if (Object.keys(config.certificatesResolvers).length === 0) return undefined;
  const quiet = () => undefined;
  try {
    const { ManagedAcme } = await import('./managed-acme.js');
    await new ManagedAcme(config, { info: quiet, warn: quiet, error: quiet, debug: quiet }).stop();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/** Hands a resolver's certificates to the store; a certificate it cannot load is logged, never thrown. */
export function serve(store: CertificateStore, logger: Logger, resolver: string, entries: readonly AcmePem[]): void {
  for (const error of store.setSource(resolver, entries)) {
    logger.error({ resolver, err: error.message }, 'an ACME certificate cannot be served');
  }
}

/** A data-plane worker: serves what its primary's resolvers hold and answers their challenges. */
export class ReplicaAcme implements ProcessAcme {
  private readonly answers = new ChallengeAnswers();
  private store: { certificates: CertificateStore; logger: Logger } | undefined;
  private readonly held = new Map<string, AcmePem[]>();

  constructor(readonly httpEntryPoints: ReadonlySet<string>) {}

  attach(store: CertificateStore, logger: Logger): void {
    this.store = { certificates: store, logger };
    store.challengeContext = (serverName) => this.challengeContext(serverName);
    for (const [resolver, entries] of this.held) serve(store, logger, resolver, entries);
  }

  httpChallengeResponse(host: string | undefined, path: string): string | undefined {
    return this.answers.httpResponse(host, path);
  }

  challengeContext(serverName: string | undefined): SecureContext | undefined {
    return this.answers.tlsContext(serverName);
  }

  /** The primary's resolver `resolver` now holds `entries`. */
  setCertificates(resolver: string, entries: AcmePem[]): void {
    this.held.set(resolver, entries);
    if (this.store) serve(this.store.certificates, this.store.logger, resolver, entries);
  }

  /** The primary's challenges in progress. */
  setChallenges(snapshot: ChallengeSnapshot): void {
    this.answers.replace(snapshot);
  }
}
