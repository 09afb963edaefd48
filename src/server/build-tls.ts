/**
 * Builds the TLS side of a configuration: compiles `tls.options` (each object's errors on it),
 * loads `tls.certificates` and the default store's `defaultCertificate` into the certificate
 * store (a certificate that fails is an error naming its file, the rest keeps serving), and
 * resolves a router's `tls` (its own, else its entry point's `http.tls`) to the options its
 * handshakes use. Called by the table build (build-table.ts), once per configuration.
 */
import {
  type RouterTlsConfig,
  routerTlsSchema,
  tlsCertificateSchema,
  tlsOptionsSchema,
  tlsStoreSchema,
} from '../config/tls-schema.js';
import { localName, qualify } from '../core/names.js';
import type { RuleNode } from '../rules/ast.js';
import { daysLeft, loadCertificate, readPemField, type StoredCertificate } from '../tls/certificate.js';
import { type CertificateStore, CONFIG_SOURCE } from '../tls/certificate-store.js';
import { type CompiledTlsOptions, compileTlsOptions, defaultTlsOptions } from '../tls/tls-options.js';
import { addError, type RuntimeConfiguration, type RuntimeObject, type RuntimeRouter } from './runtime.js';

/** A certificate within this many days of its end is announced (logs, API, dashboard). */
export const EXPIRY_WARNING_DAYS = 30;

/** The compiled TLS options of one configuration, by the name routers use. */
export interface TlsBuild {
  /** By qualified name (`modern@file`); `default` is unqualified, as in Traefik. */
  readonly options: ReadonlyMap<string, CompiledTlsOptions>;
  readonly defaults: CompiledTlsOptions;
}

/** Compiles options and loads certificates into `store`, recording errors on `runtime`. */
export function buildTls(
  runtime: RuntimeConfiguration,
  store: CertificateStore,
  certResolvers: ReadonlySet<string> = new Set(),
): TlsBuild {
  const options = new Map<string, CompiledTlsOptions>();
  const defaultsFrom: string[] = [];
  for (const object of runtime.tls.options.values()) {
    if (object.config === undefined || object.status === 'disabled') continue;
    const local = localName(object.name);
    const key = `tls.options.${local}`;
    const parsed = tlsOptionsSchema.safeParse(object.config);
    if (!parsed.success) {
      addError(object, `${key}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      continue;
    }
    try {
      const compiled = compileTlsOptions(local === 'default' ? 'default' : object.name, parsed.data, key);
      if (local === 'default') defaultsFrom.push(object.name);
      options.set(local === 'default' ? 'default' : object.name, compiled);
    } catch (error) {
      addError(object, (error as Error).message);
    }
    for (const ignored of ['preferServerCipherSuites'] as const) {
      if (parsed.data[ignored] !== undefined)
        addError(object, `${key}.${ignored}: deprecated in Go and ignored`, 'warning');
    }
  }
  if (defaultsFrom.length > 1) {
    // Traefik refuses to choose between providers; the built-in defaults apply instead.
    for (const name of defaultsFrom) {
      const object = runtime.tls.options.get(name);
      if (object !== undefined)
        addError(
          object,
          `TLS options "default" are defined by several providers (${defaultsFrom.join(', ')}); the built-in defaults apply`,
          'warning',
        );
    }
    options.delete('default');
  }
  const defaults = options.get('default') ?? defaultTlsOptions();
  options.set('default', defaults);
  loadStoreDefaults(runtime, store, certResolvers);
  loadCertificates(runtime, store);
  return { options, defaults };
}

function loadStoreDefaults(
  runtime: RuntimeConfiguration,
  store: CertificateStore,
  resolvers: ReadonlySet<string>,
): void {
  let configured: StoredCertificate | null = null;
  let orderedNames: string[] | null = null;
  for (const object of runtime.tls.stores.values()) {
    if (object.config === undefined) continue;
    const local = localName(object.name);
    const key = `tls.stores.${local}`;
    if (local !== 'default') {
      addError(object, `${key}: only the "default" store is used (as in Traefik v3); this store is ignored`, 'warning');
      continue;
    }
    const parsed = tlsStoreSchema.safeParse(object.config);
    if (!parsed.success) {
      addError(object, `${key}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      continue;
    }
    const { defaultCertificate, defaultGeneratedCert } = parsed.data;
    if (defaultGeneratedCert !== undefined) {
      const names = generatedCertNames(object, key, defaultGeneratedCert, resolvers, defaultCertificate !== undefined);
      if (names !== null) orderedNames = names;
    }
    if (defaultCertificate === undefined) continue;
    try {
      configured = readPair(defaultCertificate.certFile, defaultCertificate.keyFile, 'default');
      warnExpiry(runtime, configured, `${key}.defaultCertificate`, object.provider);
    } catch (error) {
      addError(object, `${key}.defaultCertificate: ${(error as Error).message}`);
    }
  }
  store.setConfiguredDefault(configured);
  store.setDefaultDomains(orderedNames);
}

/**
 * `defaultGeneratedCert`: the names whose certificate (ordered by its resolver, acme-wiring.ts)
 * becomes the default one; until it is issued the generated certificate is served. Null when it
 * does not apply: a `defaultCertificate` takes precedence (Traefik warns the same), and a missing
 * key or an unknown resolver is an error on the store.
 */
function generatedCertNames(
  object: RuntimeObject<unknown>,
  key: string,
  generated: {
    resolver?: string | undefined;
    domain?: { main?: string | undefined; sans?: string[] | undefined } | undefined;
  },
  resolvers: ReadonlySet<string>,
  hasDefaultCertificate: boolean,
): string[] | null {
  const at = `${key}.defaultGeneratedCert`;
  if (hasDefaultCertificate) {
    addError(
      object,
      `${at}: defaultCertificate and defaultGeneratedCert cannot both be set; defaultCertificate is served`,
      'warning',
    );
    return null;
  }
  const resolver = generated.resolver?.trim() ?? '';
  if (resolver === '') {
    addError(object, `${at}.resolver: required (the certificate resolver that orders the default certificate)`);
    return null;
  }
  if (!resolvers.has(resolver)) {
    addError(
      object,
      `${at}.resolver: the certificate resolver "${resolver}" does not exist; the generated default certificate is served`,
    );
    return null;
  }
  const names = [generated.domain?.main ?? '', ...(generated.domain?.sans ?? [])]
    .map((name) => name.trim().toLowerCase().replace(/\.+$/, ''))
    .filter((name) => name !== '');
  if (generated.domain?.main === undefined || generated.domain.main.trim() === '') {
    addError(object, `${at}.domain.main: required (the default certificate's first name)`);
    return null;
  }
  return [...new Set(names)];
}

function loadCertificates(runtime: RuntimeConfiguration, store: CertificateStore): void {
  const loaded: StoredCertificate[] = [];
  runtime.tls.certificates.forEach((entry, i) => {
    const key = `tls.certificates[${i}]`;
    const parsed = tlsCertificateSchema.safeParse(entry.config);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      runtime.issues.push({ severity: 'error', key, message: `${key}: ${problems}`, source: entry.provider });
      return;
    }
    const stores = parsed.data.stores ?? [];
    const others = stores.filter((s) => s !== 'default');
    if (others.length > 0) {
      runtime.issues.push({
        severity: 'warning',
        key: `${key}.stores`,
        message: `${key}.stores: only the "default" store is used; ${others.join(', ')} ignored`,
        source: entry.provider,
      });
    }
    try {
      const certificate = readPair(parsed.data.certFile, parsed.data.keyFile, entry.provider);
      warnExpiry(runtime, certificate, key, entry.provider);
      loaded.push(certificate);
    } catch (error) {
      runtime.issues.push({
        severity: 'error',
        key,
        message: `${key}: ${(error as Error).message}; this certificate is not served`,
        source: entry.provider,
      });
    }
  });
  store.setLoaded(CONFIG_SOURCE, loaded);
}

/** Reads and checks a certificate and key given as paths or inline PEM. */
function readPair(certFile: string, keyFile: string, source: string): StoredCertificate {
  const cert = readPemField(certFile, undefined);
  const key = readPemField(keyFile, undefined);
  return loadCertificate({ certPem: cert.pem, keyPem: key.pem }, source, cert.origin);
}

function warnExpiry(runtime: RuntimeConfiguration, certificate: StoredCertificate, key: string, source: string): void {
  const days = daysLeft(certificate);
  if (days >= EXPIRY_WARNING_DAYS) return;
  const names = certificate.names.join(', ');
  const message =
    days < 0
      ? `${key}: the certificate for ${names} (${certificate.origin}) expired on ${certificate.notAfter.toISOString()}; it is still served, clients will refuse it`
      : `${key}: the certificate for ${names} (${certificate.origin}) expires in ${days} day(s), on ${certificate.notAfter.toISOString()}`;
  runtime.issues.push({ severity: 'warning', key, message, source });
}

/**
 * A router's `tls` as written: undefined when it has none (absent, or a label's `tls=false`);
 * `tls: {}`, an empty `tls:` and `tls=true` ask for TLS with defaults.
 */
export function routerTlsOf(tls: unknown): unknown | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (typeof tls === 'string') {
    const word = tls.trim().toLowerCase();
    if (word === 'false') return undefined;
    return {};
  }
  if (tls === null || tls === true) return {};
  return tls;
}

/** What the certificate resolvers are, for `tls.certResolver` (none until ACME resolvers exist). */
export interface TlsResolution {
  readonly tls: TlsBuild;
  readonly certResolvers: ReadonlySet<string>;
}

/**
 * The options a router's handshakes use on one entry point: its own `tls`, else the entry point's
 * `http.tls` (`fallback`); null when the router is plaintext there. Errors disable the router.
 */
export function resolveRouterTls(
  router: RuntimeRouter,
  fallback: RouterTlsConfig | undefined,
  resolution: TlsResolution,
): CompiledTlsOptions | null | Error {
  const own = routerTlsOf(router.config?.tls);
  const raw = own ?? fallback;
  if (raw === undefined) return null;
  const key = own === undefined ? 'entryPoint http.tls' : `http.routers.${localName(router.name)}.tls`;
  const parsed = routerTlsSchema.safeParse(raw);
  if (!parsed.success) {
    return new Error(`${key}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { options: named, certResolver } = parsed.data;
  if (certResolver !== undefined && certResolver !== '' && !resolution.certResolvers.has(certResolver)) {
    return new Error(`${key}.certResolver: the certificate resolver "${certResolver}" does not exist`);
  }
  if (named === undefined || named === '' || named === 'default') return resolution.tls.defaults;
  const qualified = qualify(named, router.provider);
  const options = resolution.tls.options.get(qualified);
  if (options === undefined) return new Error(`${key}.options: unknown TLS options: ${qualified}`);
  return options;
}

/** The host names a rule's `Host` matchers name (where Traefik takes a router's TLS option domains from). */
export function ruleHosts(node: RuleNode, out: string[] = []): string[] {
  switch (node.kind) {
    case 'matcher':
      if (node.name === 'Host') for (const arg of node.args) out.push(arg.toLowerCase());
      return out;
    case 'not':
      return out;
    default:
      for (const child of node.children) ruleHosts(child, out);
      return out;
  }
}
