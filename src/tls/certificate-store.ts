/**
 * The certificate store (Traefik's `default` store): certificates by name from every source —
 * the dynamic configuration's `tls.certificates`, ACME resolvers (`setSource`) — and the default
 * certificate (`tls.stores.default.defaultCertificate`, else the certificate of the names of
 * `defaultGeneratedCert` once a resolver holds it, else the generated one). Lookup by SNI:
 * the exact name, then the wildcard one level up (`*.example.com` serves `a.example.com`, not
 * `a.b.example.com`), then nothing (the caller serves the default or refuses, `sniStrict`).
 * It lives as long as the process; every change makes new certificate objects, so the contexts
 * compiled options cache per certificate (tls-options.ts) never serve a stale one.
 */
import type { SecureContext } from 'node:tls';
import { loadCertificate, type PemPair, type StoredCertificate } from './certificate.js';

/** The ALPN protocol of TLS-ALPN-01 challenges (RFC 8737). */
export const ACME_TLS_ALPN = 'acme-tls/1';

/** The source name of the dynamic configuration's certificates. */
export const CONFIG_SOURCE = 'config';

/** A certificate of a source that could not be loaded. */
export interface CertificateError {
  source: string;
  /** The file (or `inline`, or the entry's index) and the reason. */
  message: string;
}

/** Every certificate Switchyard serves, by name. */
export class CertificateStore {
  private readonly sources = new Map<string, readonly StoredCertificate[]>();
  private exact = new Map<string, StoredCertificate>();
  private wildcard = new Map<string, StoredCertificate>();
  private generated: StoredCertificate | null = null;
  private configured: StoredCertificate | null = null;
  /** `defaultGeneratedCert.domain`'s names (lower-case), and the source certificate serving them, once one does. */
  private defaultNames: readonly string[] | null = null;
  private ordered: StoredCertificate | null = null;
  /**
   * TLS-ALPN-01: the certificate for a challenge on `serverName`, consulted instead of the
   * store when the client's ALPN offers `acme-tls/1` (the ACME resolver sets it).
   */
  challengeContext?: (serverName: string) => SecureContext | undefined;

  /**
   * Replaces the certificates of one source (`config`, an ACME resolver's name); the names each
   * serves come from its SANs. Entries that fail to load are left out and returned.
   */
  setSource(name: string, entries: readonly (PemPair & { origin?: string })[]): CertificateError[] {
    const errors: CertificateError[] = [];
    const loaded: StoredCertificate[] = [];
    entries.forEach((entry, i) => {
      try {
        loaded.push(loadCertificate(entry, name, entry.origin ?? `${name} certificate ${i}`));
      } catch (error) {
        errors.push({ source: name, message: (error as Error).message });
      }
    });
    if (loaded.length === 0) this.sources.delete(name);
    else this.sources.set(name, loaded);
    this.index();
    return errors;
  }

  /** Replaces the source's certificates with ones already loaded (the configuration build loads and reports its own). */
  setLoaded(name: string, certificates: readonly StoredCertificate[]): void {
    if (certificates.length === 0) this.sources.delete(name);
    else this.sources.set(name, certificates);
    this.index();
  }

  /** Sets the generated default certificate (made once at start). */
  setGenerated(pair: PemPair): void {
    this.generated = loadCertificate(pair, 'default', 'generated');
  }

  /** The generated default certificate (the same in every worker of a process: the primary makes it). */
  get generatedCertificate(): PemPair | null {
    return this.generated === null ? null : { certPem: this.generated.certPem, keyPem: this.generated.keyPem };
  }

  /** Sets or clears `tls.stores.default.defaultCertificate`. */
  setConfiguredDefault(certificate: StoredCertificate | null): void {
    this.configured = certificate;
  }

  /**
   * Sets or clears the names of `tls.stores.default.defaultGeneratedCert.domain`: the certificate
   * a source (its resolver) holds for them becomes the default one, as soon as it exists.
   */
  setDefaultDomains(names: readonly string[] | null): void {
    this.defaultNames = names === null || names.length === 0 ? null : names.map((n) => n.toLowerCase());
    this.ordered = this.certificateFor(this.defaultNames);
  }

  /** The certificate for unknown names: the configured default, else defaultGeneratedCert's, else the generated one. */
  get defaultCertificate(): StoredCertificate | null {
    return this.configured ?? this.ordered ?? this.generated;
  }

  /** The certificate for a server name (already lower-case), or undefined. */
  lookup(serverName: string): StoredCertificate | undefined {
    const exact = this.exact.get(serverName);
    if (exact !== undefined) return exact;
    const dot = serverName.indexOf('.');
    return dot === -1 ? undefined : this.wildcard.get(serverName.slice(dot + 1));
  }

  /** Every certificate served, the default included (for the API). */
  list(): StoredCertificate[] {
    const all = [...this.sources.values()].flat();
    const fallback = this.defaultCertificate;
    // defaultGeneratedCert's certificate is a resolver's too: listed once.
    if (fallback !== null && !all.includes(fallback)) all.push(fallback);
    return all;
  }

  /** Rebuilds the name index; the first source set (the configuration) wins a name, then the order of the list. */
  private index(): void {
    const exact = new Map<string, StoredCertificate>();
    const wildcard = new Map<string, StoredCertificate>();
    const ordered = [...(this.sources.get(CONFIG_SOURCE) ?? [])];
    for (const [name, list] of this.sources) if (name !== CONFIG_SOURCE) ordered.push(...list);
    for (const certificate of ordered) {
      for (const name of certificate.names) {
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(2))) wildcard.set(name.slice(2), certificate);
        } else if (!exact.has(name)) exact.set(name, certificate);
      }
    }
    // Swapped whole: a handshake in progress reads one index or the other, never half of one.
    this.exact = exact;
    this.wildcard = wildcard;
    this.ordered = this.certificateFor(this.defaultNames);
  }

  /**
   * The source certificate for exactly these names (Traefik looks the set up by its sorted names),
   * else one whose names cover them all (a larger set ordered for routers serves it too).
   */
  private certificateFor(names: readonly string[] | null): StoredCertificate | null {
    if (names === null) return null;
    const wanted = [...new Set(names)].sort().join(',');
    const covers = (certificate: StoredCertificate, name: string) =>
      certificate.names.some(
        (c) =>
          c === name ||
          (c.startsWith('*.') && name.indexOf('.') > 0 && name.slice(name.indexOf('.') + 1) === c.slice(2)),
      );
    let covering: StoredCertificate | null = null;
    for (const list of this.sources.values()) {
      for (const certificate of list) {
        if ([...certificate.names].sort().join(',') === wanted) return certificate;
        if (covering === null && names.every((name) => covers(certificate, name))) covering = certificate;
      }
    }
    return covering;
  }
}
