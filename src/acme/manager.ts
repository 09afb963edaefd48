/**
 * The certificate resolvers of a process, built once from the static configuration
 * (`certificatesResolvers`), fed the wanted certificates on each configuration build, and
 * giving the proxy what it serves:
 *
 * - `onCertificates(resolver, entries)` (given at construction): every certificate a resolver
 *   holds, each time that changes: the TLS store's `setSource(resolver, entries)`;
 * - `httpChallengeResponse(host, path)`: the HTTP-01 answer, asked by the `httpChallenge`
 *   entry points before routing;
 * - `challengeContext(serverName)`: the TLS-ALPN-01 certificate, asked by the TLS stage when a
 *   client offers ALPN `acme-tls/1`;
 * - `status()`: per certificate, for the API and dashboard.
 */
import { resolve } from 'node:path';
import type { SecureContext } from 'node:tls';
import type { AcmeConfig } from '../config/acme-schema.js';
import type { Logger } from '../core/logger.js';
import { ConfigError } from '../errors.js';
import { createAcmeAgent } from './acme-http.js';
import { AcmeStore } from './acme-store.js';
import { ChallengeAnswers, type ChallengeListener, type ChallengeSnapshot } from './challenges.js';
import { createDnsProvider, isImplementedDnsProvider, unimplementedDnsProvider } from './dns-providers.js';
import type { WantedCertificate } from './domains.js';
import { EtcdDriver, etcdStorageSettings } from './etcd-storage.js';
import type { OrderSettings } from './order.js';
import { RedisDriver, redisStorageSettings } from './redis-storage.js';
import { renewalSchedule } from './renewal.js';
import { type AcmeCertificateStatus, AcmeResolver } from './resolver.js';
import { isSharedStorage, SharedAcmeStorage } from './shared-storage.js';
import type { AcmeStorage } from './storage.js';
import { extraCaFiles, trustedCas } from './trust.js';

/** How to build the resolvers; everything after `onCertificates` has a production default. */
export interface AcmeManagerOptions {
  /** `certificatesResolvers` of the static configuration: `acme` section by resolver name. */
  resolvers: Readonly<Record<string, { acme: AcmeConfig }>>;
  logger: Logger;
  /** Receives every certificate a resolver holds, each time that set changes. */
  onCertificates: (resolver: string, entries: { certPem: string; keyPem: string }[]) => void;
  /** Known entry point names: `httpChallenge.entryPoint` must be one. */
  entryPoints?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Base directory of relative `storage` paths (the working directory). */
  cwd?: string;
  /** The clock renewal decisions read (tests move it). */
  now?: () => number;
  /** First back-off after a failed order (doubles up to a day): 5 minutes. */
  retryBaseMs?: number;
  /** How often due certificates are looked for: Traefik's interval for `certificatesDuration`. */
  renewalCheckMs?: number;
  /** Size of new RSA account keys: 4096 as Traefik's (tests use less: 4096 bits take seconds). */
  accountKeyBits?: number;
  /** Names this instance in a shared storage's leases (default: host name, process id and a random part). */
  instanceId?: string;
  /** Polling of a pending challenge or order: 1 s to 10 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
}

export class AcmeManager {
  private readonly resolvers = new Map<string, AcmeResolver>();
  private readonly stores = new Map<string, AcmeStorage>();
  /** The challenges of this instance's orders. */
  private readonly answers = new ChallengeAnswers();
  /** The challenges of the other instances of a fleet (shared storage), answered here too. */
  private readonly remoteAnswers = new ChallengeAnswers();
  private readonly challengeListeners = new Set<ChallengeListener>();
  private readonly challengeEntryPoints = new Set<string>();
  private started = false;
  private pending: readonly WantedCertificate[] | undefined;

  /** Validates every resolver; throws ConfigError naming the key path of the first fault. */
  constructor(options: AcmeManagerOptions) {
    // An order waits for this (answers.published()) before the CA validates.
    this.answers.onChange(() => this.publishChallenges());
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    for (const [name, { acme }] of Object.entries(options.resolvers)) {
      const at = (key: string) => `certificatesResolvers.${name}.acme.${key}`;
      const schedule = renewalSchedule(acme.certificatesDuration);
      const settings: OrderSettings = {
        resolver: name,
        caServer: acme.caServer,
        email: acme.email,
        keyType: acme.keyType,
        preferredChain: acme.preferredChain,
        eab: acme.eab,
        http: acme.httpChallenge ? { delayMs: acme.httpChallenge.delay } : undefined,
        tls: acme.tlsChallenge ? { delayMs: acme.tlsChallenge.delay } : undefined,
        pollMinMs: options.pollMinMs ?? 1000,
        pollMaxMs: options.pollMaxMs ?? 10_000,
      };
      if (acme.httpChallenge) {
        const ep = acme.httpChallenge.entryPoint;
        if (options.entryPoints && !options.entryPoints.includes(ep)) {
          throw new ConfigError(`unknown entry point ${JSON.stringify(ep)}`, at('httpChallenge.entryPoint'));
        }
        this.challengeEntryPoints.add(ep);
      }
      if (acme.dnsChallenge) {
        const dns = acme.dnsChallenge;
        try {
          settings.dns = {
            provider: isImplementedDnsProvider(dns.provider)
              ? createDnsProvider(dns.provider, env)
              : unimplementedDnsProvider(dns.provider),
            resolvers: dns.resolvers,
            checks: !(dns.propagation.disableChecks || dns.disablePropagationCheck === true),
            delayMs: dns.delayBeforeCheck ?? dns.propagation.delayBeforeChecks,
          };
        } catch (error) {
          throw new ConfigError((error as Error).message, at('dnsChallenge.provider'));
        }
      }
      let agent: ReturnType<typeof createAcmeAgent>;
      try {
        agent = createAcmeAgent(trustedCas(extraCaFiles(env, acme.caCertificates), env));
      } catch (error) {
        throw new ConfigError((error as Error).message, at('caCertificates'));
      }
      let store: AcmeStorage;
      try {
        store = this.storage(acme.storage, cwd, options);
      } catch (error) {
        throw new ConfigError((error as Error).message, at('storage'));
      }
      this.resolvers.set(
        name,
        new AcmeResolver(name, {
          settings,
          schedule,
          agent,
          store,
          answers: this.answers,
          logger: options.logger,
          now: options.now ?? Date.now,
          retryBaseMs: options.retryBaseMs ?? 5 * 60_000,
          renewalCheckMs: options.renewalCheckMs ?? schedule.intervalMs,
          accountKeyBits: options.accountKeyBits ?? 4096,
          onCertificates: options.onCertificates,
        }),
      );
    }
  }

  /** The storage named by `storage` (one object per file or store, shared by the resolvers naming it). */
  private storage(name: string, cwd: string, options: AcmeManagerOptions): AcmeStorage {
    const shared = isSharedStorage(name);
    const id = shared ? name : resolve(cwd, name);
    const known = this.stores.get(id);
    if (known) return known;
    const store: AcmeStorage = shared
      ? sharedStorage(name, options.logger, options.instanceId)
      : new AcmeStore(id, options.logger);
    this.stores.set(id, store);
    store.onChange(() => {
      for (const resolver of this.resolvers.values()) if (resolver.storage === store) resolver.adoptStored();
    });
    if (store.shareChallenges) {
      const share = store.shareChallenges.bind(store);
      this.answers.onChange((snapshot) => share(snapshot));
    }
    store.onRemoteChallenges?.((snapshot) => {
      this.remoteAnswers.replace(snapshot);
      void this.publishChallenges();
    });
    return store;
  }

  /** Every challenge answered here (this instance's and the fleet's), to the listeners (worker processes). */
  private async publishChallenges(): Promise<void> {
    if (this.challengeListeners.size === 0) return;
    const snapshot = this.challengeSnapshot();
    await Promise.all([...this.challengeListeners].map((l) => Promise.resolve(l(snapshot)).catch(() => undefined)));
  }

  /** The configured resolver names (what `tls.certResolver` may name). */
  resolverNames(): ReadonlySet<string> {
    return new Set(this.resolvers.keys());
  }

  /** Entry points that must answer HTTP-01 challenges (`httpChallenge.entryPoint`). */
  httpChallengeEntryPoints(): ReadonlySet<string> {
    return this.challengeEntryPoints;
  }

  /** Reads the storage files, serves what they hold, starts renewal checks. Never throws for a bad file. */
  async start(): Promise<void> {
    await Promise.all([...this.stores.values()].map((store) => store.load()));
    for (const resolver of this.resolvers.values()) resolver.start();
    this.started = true;
    if (this.pending) this.update(this.pending);
  }

  /**
   * The certificates the current configuration wants (`wantedCertificates(…).certificates`).
   * Before `start()` has read the storage, the latest call is kept and applied then, so that a
   * first build never orders what the file already holds.
   */
  update(wanted: readonly WantedCertificate[]): void {
    if (!this.started) {
      this.pending = wanted;
      return;
    }
    this.pending = undefined;
    for (const [name, resolver] of this.resolvers) resolver.setWanted(wanted.filter((w) => w.resolver === name));
  }

  /** The HTTP-01 key authorization for this request, or undefined (then route it as usual). */
  httpChallengeResponse(host: string | undefined, path: string): string | undefined {
    return this.answers.httpResponse(host, path) ?? this.remoteAnswers.httpResponse(host, path);
  }

  /** The TLS-ALPN-01 context for an `acme-tls/1` handshake to `serverName`, or undefined. */
  challengeContext(serverName: string | undefined): SecureContext | undefined {
    return this.answers.tlsContext(serverName) ?? this.remoteAnswers.tlsContext(serverName);
  }

  /**
   * Calls `listener` with every change of the challenges in progress; an order waits for the
   * promise it returns before the CA validates (worker processes get the answers first).
   */
  onChallenges(listener: ChallengeListener): () => void {
    this.challengeListeners.add(listener);
    return () => this.challengeListeners.delete(listener);
  }

  /** The challenges in progress (this instance's, then the fleet's), as data. */
  challengeSnapshot(): ChallengeSnapshot {
    const local = this.answers.snapshot();
    const remote = this.remoteAnswers.snapshot();
    return { http: [...local.http, ...remote.http], tls: [...local.tls, ...remote.tls] };
  }

  /** Per certificate: domains, resolver, issuer, not-after, next renewal, last error; storage problems first. */
  status(): { storageErrors: { storage: string; error: string }[]; certificates: AcmeCertificateStatus[] } {
    const storageErrors = [...this.stores.values()]
      .filter((s) => s.loadError !== undefined)
      .map((s) => ({ storage: s.path, error: s.loadError as string }));
    return { storageErrors, certificates: [...this.resolvers.values()].flatMap((r) => r.status()) };
  }

  /** Waits for the orders running now. */
  async settled(): Promise<void> {
    await Promise.all([...this.resolvers.values()].map((r) => r.settled()));
  }

  /** Stops timers (orders in flight finish and are stored), then closes the storages (leases released). */
  async stop(): Promise<void> {
    for (const resolver of this.resolvers.values()) resolver.stop();
    await Promise.all([...this.stores.values()].map((s) => s.close().catch(() => undefined)));
  }
}

/** A fleet's storage in Redis (`redis://`, `rediss://`) or etcd (`etcd://`). */
function sharedStorage(url: string, logger: Logger, instanceId: string | undefined): AcmeStorage {
  if (/^etcd:/i.test(url)) {
    const settings = etcdStorageSettings(url);
    return new SharedAcmeStorage(new EtcdDriver(settings), settings, logger, instanceId);
  }
  const settings = redisStorageSettings(url);
  return new SharedAcmeStorage(new RedisDriver(settings.options), settings, logger, instanceId);
}
