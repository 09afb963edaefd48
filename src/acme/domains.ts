/**
 * Which certificates each resolver must hold: a pure function of the runtime configuration's
 * routers and the static entry points, called on every configuration build. A router asks for a
 * certificate with `tls.certResolver` (written `tls.certresolver` in Docker labels), for the
 * names of its `tls.domains` or else every `Host` name of its rule; an entry point's
 * `http.tls.certResolver` (and `http.tls.domains`) applies to the routers on it that carry no
 * `tls` of their own, as in Traefik. TCP routers ask the same way with the `HostSNI` names of their
 * rule (never `*`), and `tls.stores.default.defaultGeneratedCert` asks its resolver for its domain.
 */
import { matcherSet, parseRule, type RuleNode } from '../rules/index.js';

/** The TCP rule language's matchers, for parsing only (the TCP table compiles them: src/tcp/rule.ts). */
const TCP_RULE_NAMES = matcherSet(
  ['HostSNI', 'HostSNIRegexp', 'ClientIP', 'ALPN'].map((name) => ({ name, arity: [1] })),
);

/** A domain set as Traefik stores it: the first name and the others (`domain.main` / `domain.sans`). */
export interface AcmeDomain {
  main: string;
  sans: string[];
}

/** One certificate a resolver must hold, and who asked for it. */
export interface WantedCertificate {
  resolver: string;
  domain: AcmeDomain;
  /** Stable identity of the set: its names, sorted and joined (`a.test,b.test`). */
  key: string;
  /** Routers (qualified names) or `entryPoint:<name>` that want it, for the status list. */
  wantedBy: string[];
}

/** What this module reads of a router (a `RuntimeRouter` fits). */
export interface RouterForAcme {
  name: string;
  status?: string;
  config?: { rule?: string; entryPoints?: readonly string[]; tls?: unknown } | undefined;
}

/** What this module reads of an entry point (the static `entryPoints.<name>`, once it has `http.tls`). */
export interface EntryPointForAcme {
  http?: { tls?: unknown } | undefined;
}

/** A problem met while reading a router's TLS settings, reported by the caller on that router. */
export interface WantedIssue {
  router: string;
  message: string;
  /** Which section `router` names: an HTTP router (default), a TCP router, or the TLS store (`tls.stores.default`). */
  kind?: 'tcp' | 'store';
}

/** What asks for certificates besides the HTTP routers. */
export interface OtherRequests {
  /** The TCP routers (`tcp.routers`): `tls.certResolver`, `tls.domains`, else the rule's `HostSNI` names. */
  tcpRouters?: Iterable<RouterForAcme>;
  /** `tls.stores.default.defaultGeneratedCert` (`resolver`, `domain`), as written. */
  defaultGeneratedCert?: unknown;
}

/** Who asks for the default store's certificate, in `wantedBy`. */
export const DEFAULT_GENERATED_CERT = 'tls.stores.default.defaultGeneratedCert';

/** The certificates wanted, deduplicated across routers, and the problems met. */
export interface WantedCertificates {
  certificates: WantedCertificate[];
  issues: WantedIssue[];
}

/** Lower-cased, trimmed, without a trailing dot; undefined for what no certificate can name. */
export function canonicalDomain(name: string): string | undefined {
  let host = name.trim().toLowerCase();
  while (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || host === '*' || host.includes('*', 1) || /[\s/:@]/.test(host)) return undefined;
  if (host.startsWith('*') && !host.startsWith('*.')) return undefined;
  return host;
}

/** True when the certificate name `certName` (possibly `*.x`) covers `domain`, as Traefik's MatchDomain. */
export function domainCovers(certName: string, domain: string): boolean {
  if (certName === domain) return true;
  if (!certName.startsWith('*.')) return false;
  const dot = domain.indexOf('.');
  return dot > 0 && domain.slice(dot + 1) === certName.slice(2);
}

/** The identity of a set of names: sorted, unique, joined by commas. */
export function domainKey(names: readonly string[]): string {
  return [...new Set(names)].sort().join(',');
}

/** The names of a domain set, main first. */
export function domainNames(domain: AcmeDomain): string[] {
  return [domain.main, ...domain.sans.filter((n) => n !== domain.main)];
}

/** Every non-negated `Host` name of a rule, lower-cased, in order. */
export function hostNamesOfRule(rule: string): string[] {
  const out: string[] = [];
  const walk = (node: RuleNode, negated: boolean) => {
    if (node.kind === 'matcher') {
      // A negated Host names what the router refuses: no certificate for it (Traefik orders one).
      if (node.name === 'Host' && !negated) out.push(...node.args);
    } else if (node.kind === 'not') walk(node.child, !negated);
    else for (const child of node.children) walk(child, negated);
  };
  walk(parseRule(rule), false);
  return out;
}

/** Every non-negated `HostSNI` name of a TCP rule except `*` (which names every connection). */
export function hostSniNamesOfRule(rule: string): string[] {
  const out: string[] = [];
  const walk = (node: RuleNode, negated: boolean) => {
    if (node.kind === 'matcher') {
      if (node.name === 'HostSNI' && !negated) out.push(...node.args.filter((name) => name.trim() !== '*'));
    } else if (node.kind === 'not') walk(node.child, !negated);
    else for (const child of node.children) walk(child, negated);
  };
  walk(parseRule(rule, TCP_RULE_NAMES), false);
  return out;
}

/** A key of a loosely typed object, case-insensitively (labels write `certresolver`). */
function field(object: unknown, name: string): unknown {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** A list written as an array, an index-keyed object (labels `domains[0]`) or a comma-separated string. */
function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([k]) => /^\d+$/.test(k))
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, v]) => v);
  }
  return [value];
}

interface TlsRequest {
  resolver: string;
  domains: unknown;
}

/** The resolver and domains a `tls` section asks for, or undefined when it names no resolver. */
function tlsRequest(tls: unknown): TlsRequest | undefined {
  const resolver = field(tls, 'certResolver');
  if (typeof resolver !== 'string' || resolver.trim() === '') return undefined;
  return { resolver: resolver.trim(), domains: field(tls, 'domains') };
}

/** Domain sets from `tls.domains` (`main` + `sans`), or an error message. */
function setsFromDomains(domains: unknown): { sets: string[][]; errors: string[] } {
  const sets: string[][] = [];
  const errors: string[] = [];
  for (const [index, entry] of listOf(domains).entries()) {
    const written = [field(entry, 'main'), ...listOf(field(entry, 'sans'))].filter((n) => n !== undefined && n !== '');
    const names: string[] = [];
    for (const name of written) {
      const canonical = typeof name === 'string' ? canonicalDomain(name) : undefined;
      if (canonical === undefined)
        errors.push(`tls.domains[${index}]: ${JSON.stringify(name)} cannot be named in a certificate`);
      else if (canonical.startsWith('*.*'))
        errors.push(`tls.domains[${index}]: ACME does not allow "*.*" wildcards (${canonical})`);
      else if (!names.includes(canonical)) names.push(canonical);
    }
    if (names.length > 0) sets.push(names);
  }
  return { sets, errors };
}

/**
 * The certificates each resolver must hold for this configuration. Routers that are disabled are
 * skipped; a set whose names another wanted set of the same resolver already covers is dropped
 * (one order serves both); equal sets are merged, whatever their order or which routers ask.
 * `resolvers` is the set of configured resolver names: a router naming another one is an issue.
 */
export function wantedCertificates(
  routers: Iterable<RouterForAcme>,
  entryPoints: Readonly<Record<string, EntryPointForAcme>>,
  resolvers: ReadonlySet<string>,
  others: OtherRequests = {},
): WantedCertificates {
  const issues: WantedIssue[] = [];
  const byKey = new Map<string, WantedCertificate>();
  const add = (resolver: string, names: string[], who: string) => {
    const key = `${resolver}\n${domainKey(names)}`;
    const known = byKey.get(key);
    if (known) {
      if (!known.wantedBy.includes(who)) known.wantedBy.push(who);
      return;
    }
    const [main, ...sans] = names as [string, ...string[]];
    byKey.set(key, { resolver, domain: { main, sans }, key: domainKey(names), wantedBy: [who] });
  };
  const entryPointNames = Object.keys(entryPoints);

  /** One router's requests: `kind` chooses the rule's names (`Host` or `HostSNI`) and where issues go. */
  const ask = (router: RouterForAcme, requests: TlsRequest[], kind: 'http' | 'tcp') => {
    const config = router.config;
    if (config === undefined) return;
    const who = kind === 'tcp' ? { router: router.name, kind: 'tcp' as const } : { router: router.name };
    for (const request of requests) {
      if (!resolvers.has(request.resolver)) {
        issues.push({ ...who, message: `unknown certificate resolver ${JSON.stringify(request.resolver)}` });
        continue;
      }
      const fromDomains = setsFromDomains(request.domains);
      for (const message of fromDomains.errors) issues.push({ ...who, message });
      if (listOf(request.domains).length > 0) {
        // Written domains replace the rule's names, even when none of them was usable.
        for (const names of fromDomains.sets) add(request.resolver, names, router.name);
        continue;
      }
      let hosts: string[] = [];
      try {
        const ofRule = kind === 'tcp' ? hostSniNamesOfRule : hostNamesOfRule;
        hosts = config.rule === undefined ? [] : ofRule(config.rule);
      } catch {
        // The router's rule error is reported by the build; nothing to order for it.
        continue;
      }
      const names: string[] = [];
      for (const host of hosts) {
        const canonical = canonicalDomain(host);
        if (canonical !== undefined && !canonical.startsWith('*.*') && !names.includes(canonical))
          names.push(canonical);
      }
      if (names.length === 0) {
        const matcher = kind === 'tcp' ? 'HostSNI(…) name other than *' : 'Host(…) name';
        issues.push({
          ...who,
          message: `certificate resolver ${JSON.stringify(request.resolver)} needs a ${matcher} in the rule or tls.domains`,
        });
        continue;
      }
      add(request.resolver, names, router.name);
    }
  };

  for (const router of routers) {
    if (router.status === 'disabled' || router.config === undefined) continue;
    const own = tlsRequest(router.config.tls);
    const requests: TlsRequest[] = [];
    if (own) requests.push(own);
    else if (router.config.tls === undefined) {
      // An entry point's TLS applies to the routers on it that have none of their own.
      for (const ep of router.config.entryPoints ?? entryPointNames) {
        const fromEntryPoint = tlsRequest(field(entryPoints[ep]?.http, 'tls'));
        if (fromEntryPoint) requests.push(fromEntryPoint);
      }
    }
    ask(router, requests, 'http');
  }
  // TCP routers have no entry-point TLS defaults (Traefik's entry points carry `http.tls` only).
  for (const router of others.tcpRouters ?? []) {
    if (router.status === 'disabled' || router.config === undefined) continue;
    const own = tlsRequest(router.config.tls);
    if (own) ask(router, [own], 'tcp');
  }
  const storeDefault = others.defaultGeneratedCert;
  const storeResolver = field(storeDefault, 'resolver');
  if (typeof storeResolver === 'string' && resolvers.has(storeResolver.trim())) {
    // Unknown resolvers and missing keys are reported by the TLS build (build-tls.ts), on the store.
    const fromDomain = setsFromDomains([field(storeDefault, 'domain')]);
    for (const message of fromDomain.errors)
      issues.push({
        router: 'default',
        kind: 'store',
        message: message.replace('tls.domains[0]', 'defaultGeneratedCert.domain'),
      });
    for (const names of fromDomain.sets) add(storeResolver.trim(), names, DEFAULT_GENERATED_CERT);
  }

  const all = [...byKey.values()];
  const covered = (inner: WantedCertificate, outer: WantedCertificate) =>
    inner !== outer &&
    inner.resolver === outer.resolver &&
    domainNames(inner.domain).every((name) => domainNames(outer.domain).some((c) => domainCovers(c, name)));
  // Mutual cover (the same names) is settled by the key, so exactly one of two equals survives.
  const dominates = (outer: WantedCertificate, inner: WantedCertificate) =>
    covered(inner, outer) && !(covered(outer, inner) && outer.key > inner.key);
  const certificates = all.filter((wanted) => !all.some((other) => dominates(other, wanted)));
  for (const wanted of all) {
    if (certificates.includes(wanted)) continue;
    const host = certificates.find((root) => covered(wanted, root));
    if (!host) {
      certificates.push(wanted);
      continue;
    }
    for (const who of wanted.wantedBy) if (!host.wantedBy.includes(who)) host.wantedBy.push(who);
  }
  return { certificates, issues };
}
