/**
 * One certificate resolver (`certificatesResolvers.<name>`): the certificates it holds, the
 * orders it runs and when. Each domain set is tracked by its key (its sorted names):
 *
 * - a wanted set that a stored certificate already covers, and that is not due for renewal, is
 *   served from storage: a restart never re-orders;
 * - otherwise one order runs for it; a second request for the same names while it runs joins it
 *   (never two orders at a time for the same names, however many routers ask);
 * - a failed order is logged with the ACME problem document, shown in the status, and tried again
 *   after a back-off that doubles (or the server's `Retry-After` when rate limited);
 * - every `intervalMs` of Traefik's schedule (renewal.ts) the wanted certificates close to expiry
 *   are ordered again. Stored certificates no router wants any more are still served, not renewed.
 */

import type { Agent } from 'node:https';
import type { Logger } from '../core/logger.js';
import type { AcmeProblem } from './acme-http.js';
import {
  type CertificateFacts,
  certificateFacts,
  LEGO_KEY_TYPES,
  type StoredAccount,
  type StoredCertificate,
} from './acme-json.js';
import type { ChallengeAnswers } from './challenges.js';
import { type AcmeDomain, domainCovers, domainKey, domainNames, type WantedCertificate } from './domains.js';
import {
  AcmeOrderError,
  accountMatchesServer,
  generateAccountKey,
  type OrderSettings,
  orderCertificate,
} from './order.js';
import { isDue, type RenewalSchedule, renewAt, retryDelay } from './renewal.js';
import type { AcmeStorage, OrderLease } from './storage.js';

/** A certificate as the API and dashboard show it. */
export interface AcmeCertificateStatus {
  resolver: string;
  domain: AcmeDomain;
  /**
   * `valid` (held), `ordering`, `waiting` (another instance of the fleet holds the lease and
   * orders it), `failed` (none held, waiting to retry), `pending` (not tried yet).
   */
  state: 'valid' | 'ordering' | 'waiting' | 'failed' | 'pending';
  issuer?: string | undefined;
  notAfter?: string | undefined;
  /** When it will be renewed (or retried, after a failure). */
  nextRenewal?: string | undefined;
  lastError?: string | undefined;
  lastProblem?: AcmeProblem | undefined;
  /** Routers (or entry points) that ask for it; empty for a stored certificate nobody wants now. */
  wantedBy: string[];
}

/** Everything a resolver is given; the manager builds it from the configuration. */
export interface ResolverDeps {
  settings: OrderSettings;
  schedule: RenewalSchedule;
  agent: Agent | undefined;
  store: AcmeStorage;
  answers: ChallengeAnswers;
  logger: Logger;
  now: () => number;
  retryBaseMs: number;
  renewalCheckMs: number;
  accountKeyBits: number;
  onCertificates: (resolver: string, entries: { certPem: string; keyPem: string }[]) => void;
}

interface Tracked {
  domain: AcmeDomain;
  key: string;
  wantedBy: string[];
  stored?: StoredCertificate | undefined;
  facts?: CertificateFacts | undefined;
  ordering?: Promise<void> | undefined;
  failures: number;
  lastError?: string | undefined;
  lastProblem?: AcmeProblem | undefined;
  retryAt?: number | undefined;
  retryTimer?: NodeJS.Timeout | undefined;
  /** Another instance holds the lease for this set (a shared storage). */
  waiting?: boolean;
}

export class AcmeResolver {
  private readonly tracked = new Map<string, Tracked>();
  private account: Promise<StoredAccount> | undefined;
  private renewalTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly deps: ResolverDeps,
  ) {}

  /** The storage this resolver keeps its account and certificates in. */
  get storage(): AcmeStorage {
    return this.deps.store;
  }

  /** Takes the stored certificates, serves them, and starts the renewal checks. */
  start(): void {
    this.adoptStored();
    this.renewalTimer = setInterval(() => this.checkRenewals(), this.deps.renewalCheckMs);
    this.renewalTimer.unref();
  }

  /**
   * Takes what the storage holds now: a stored certificate for a tracked set (or a new set) that
   * expires later than the one held replaces it. Called at start and whenever another instance
   * of a fleet stored something; a set waiting for another instance's order stops waiting.
   */
  adoptStored(): void {
    let changed = false;
    for (const stored of this.deps.store.certificates(this.name)) {
      const key = domainKey(domainNames(stored.domain));
      const facts = certificateFacts(stored.certPem);
      const known = this.tracked.get(key);
      if (known === undefined) {
        this.tracked.set(key, { domain: stored.domain, key, wantedBy: [], stored, facts, failures: 0 });
        changed = true;
        continue;
      }
      if (known.stored?.certPem === stored.certPem) continue;
      if ((facts?.notAfter ?? 0) <= (known.facts?.notAfter ?? 0)) continue;
      known.stored = stored;
      known.facts = facts;
      known.failures = 0;
      known.lastError = undefined;
      known.lastProblem = undefined;
      known.retryAt = undefined;
      if (known.waiting) {
        clearTimeout(known.retryTimer);
        known.retryTimer = undefined;
        known.waiting = false;
      }
      changed = true;
    }
    if (changed || this.tracked.size === 0) this.publish();
  }

  /** Stops timers; orders in flight finish but their result is only stored, not retried. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.renewalTimer);
    for (const t of this.tracked.values()) clearTimeout(t.retryTimer);
  }

  /** The wanted sets of this resolver, from the latest configuration build. */
  setWanted(wanted: readonly WantedCertificate[]): void {
    for (const t of this.tracked.values()) t.wantedBy = [];
    for (const w of wanted) {
      const names = domainNames(w.domain);
      const holder = this.holderFor(names) ?? this.trackedFor(w);
      for (const who of w.wantedBy) if (!holder.wantedBy.includes(who)) holder.wantedBy.push(who);
      this.ensure(holder);
    }
    // A set nobody wants and that holds nothing (a failed order for a removed router) is dropped.
    for (const [key, t] of this.tracked) {
      if (t.wantedBy.length === 0 && !t.stored && !t.ordering) {
        clearTimeout(t.retryTimer);
        this.tracked.delete(key);
      }
    }
  }

  /** The tracked set holding a certificate whose names cover all of `names`. */
  private holderFor(names: readonly string[]): Tracked | undefined {
    const exact = this.tracked.get(domainKey(names));
    if (exact) return exact;
    for (const t of this.tracked.values()) {
      if (!t.stored) continue;
      const held = domainNames(t.domain);
      if (names.every((n) => held.some((h) => domainCovers(h, n)))) return t;
    }
    return undefined;
  }

  private trackedFor(w: WantedCertificate): Tracked {
    const t: Tracked = { domain: w.domain, key: w.key, wantedBy: [], failures: 0 };
    this.tracked.set(w.key, t);
    return t;
  }

  /** Orders for `t` when it holds nothing (or is due), unless an order runs or a retry waits. */
  private ensure(t: Tracked): void {
    if (this.stopped || t.ordering || t.retryTimer) return;
    const notAfter = t.facts?.notAfter;
    if (t.stored && notAfter !== undefined && !isDue(notAfter, this.deps.now(), this.deps.schedule)) return;
    this.order(t);
  }

  /** Renews what is wanted and due; called every `renewalCheckMs`. */
  checkRenewals(): void {
    for (const t of this.tracked.values()) if (t.wantedBy.length > 0) this.ensure(t);
  }

  private order(t: Tracked): void {
    const names = domainNames(t.domain);
    const { logger, store } = this.deps;
    t.ordering = (async () => {
      const ctx = { agent: this.deps.agent, problems: [] as AcmeProblem[] };
      let lease: OrderLease | undefined;
      try {
        // One instance of a fleet orders a set at a time: the others wait for its certificate.
        lease = await store.lease(this.name, t.key);
        if (lease === undefined) {
          if (!t.waiting) {
            logger.info(
              { resolver: this.name, domains: names, storage: store.path },
              'another instance orders this ACME certificate: waiting for it',
            );
          }
          t.waiting = true;
          if (!this.stopped) {
            t.retryTimer = setTimeout(() => {
              t.retryTimer = undefined;
              if (t.wantedBy.length > 0) this.ensure(t);
            }, store.leaseRetryMs);
            t.retryTimer.unref();
          }
          return;
        }
        t.waiting = false;
        // The previous holder may have stored it just before its lease ended.
        await store.refresh();
        this.adoptStored();
        const notAfter = t.facts?.notAfter;
        if (t.stored && notAfter !== undefined && !isDue(notAfter, this.deps.now(), this.deps.schedule)) return;
        logger.info(
          { resolver: this.name, domains: names },
          t.stored ? 'renewing ACME certificate' : 'ordering ACME certificate',
        );
        const account = await this.getAccount();
        const issued = await orderCertificate(
          this.deps.settings,
          names,
          account,
          (a) => this.deps.store.saveAccount(this.name, a),
          this.deps.answers,
          ctx,
        );
        const stored: StoredCertificate = {
          domain: t.domain,
          certPem: issued.certPem,
          keyPem: issued.keyPem,
          store: 'default',
        };
        t.stored = stored;
        t.facts = certificateFacts(issued.certPem);
        t.failures = 0;
        t.lastError = undefined;
        t.lastProblem = undefined;
        t.retryAt = undefined;
        logger.info(
          {
            resolver: this.name,
            domains: names,
            notAfter: t.facts ? new Date(t.facts.notAfter).toISOString() : undefined,
          },
          'ACME certificate obtained',
        );
        this.publish();
        await this.deps.store.saveCertificate(this.name, stored).catch((error: Error) => {
          logger.error(
            { resolver: this.name, storage: this.deps.store.path, err: error.message },
            'cannot write the ACME storage',
          );
        });
      } catch (error) {
        const failure = error instanceof AcmeOrderError ? error : new AcmeOrderError((error as Error).message);
        t.failures += 1;
        t.lastError = failure.message;
        t.lastProblem = failure.problem;
        const delay = retryDelay(t.failures, this.deps.retryBaseMs, failure.retryAfterMs);
        t.retryAt = this.deps.now() + delay;
        logger.error(
          { resolver: this.name, domains: names, problem: failure.problem, failures: t.failures, retryInMs: delay },
          `cannot obtain an ACME certificate for ${names.join(', ')}: ${failure.message}`,
        );
        if (!this.stopped) {
          t.retryTimer = setTimeout(() => {
            t.retryTimer = undefined;
            if (t.wantedBy.length > 0) this.ensure(t);
          }, delay);
          t.retryTimer.unref();
        }
      } finally {
        await lease?.release().catch(() => undefined);
        t.ordering = undefined;
      }
    })();
  }

  /** The resolver's account: stored (for this CA server) or a new key, registered by the first order. */
  private getAccount(): Promise<StoredAccount> {
    if (!this.account) {
      this.account = (async () => {
        const stored = this.deps.store.account(this.name);
        if (stored && accountMatchesServer(stored, this.deps.settings.caServer)) return stored;
        if (stored) {
          this.deps.logger.info(
            { resolver: this.name },
            'the stored ACME account belongs to another CA server: a new one is registered',
          );
        }
        return {
          email: this.deps.settings.email ?? '',
          privateKeyPem: await generateAccountKey(this.deps.accountKeyBits),
          keyType: LEGO_KEY_TYPES[this.deps.settings.keyType],
        };
      })();
      this.account.catch(() => {
        this.account = undefined;
      });
    }
    return this.account;
  }

  /** Hands every held certificate to the TLS store; a failure there is logged, never thrown into an order. */
  private publish(): void {
    const entries = [...this.tracked.values()]
      .filter((t) => t.stored)
      .map((t) => ({ certPem: t.stored!.certPem, keyPem: t.stored!.keyPem }));
    try {
      this.deps.onCertificates(this.name, entries);
    } catch (error) {
      this.deps.logger.error(
        { resolver: this.name, err: (error as Error).message },
        'the TLS store refused the ACME certificates',
      );
    }
  }

  /** Waits for the orders running now (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => t.ordering));
  }

  /** One line per domain set, for the API and dashboard. */
  status(): AcmeCertificateStatus[] {
    return [...this.tracked.values()].map((t) => {
      const notAfter = t.facts?.notAfter;
      const nextRenewal =
        t.retryAt !== undefined
          ? t.retryAt
          : notAfter !== undefined
            ? renewAt(notAfter, this.deps.schedule)
            : undefined;
      return {
        resolver: this.name,
        domain: t.domain,
        state: t.waiting
          ? 'waiting'
          : t.ordering
            ? 'ordering'
            : t.stored
              ? 'valid'
              : t.failures > 0
                ? 'failed'
                : 'pending',
        issuer: t.facts?.issuer,
        notAfter: notAfter !== undefined ? new Date(notAfter).toISOString() : undefined,
        nextRenewal: nextRenewal !== undefined ? new Date(nextRenewal).toISOString() : undefined,
        lastError: t.lastError,
        lastProblem: t.lastProblem,
        wantedBy: [...t.wantedBy],
      };
    });
  }
}
