/**
 * `/api/certificates` and `/api/certificates/{name}`, in Traefik's shape (pkg/api/certificate.go):
 * every certificate of the default store plus the default certificate, named by the SHA-256 of
 * its DER, with its status (`enabled`, `warning` within 30 days of its end, `expired`).
 * Switchyard adds where it came from (`source`, `origin`), whether it is the default, and the
 * TLS routers it is served for (`usedBy`, by their `Host` names).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { compileRuleMatcher } from '../rules/index.js';
import { ruleHosts } from '../server/build-tls.js';
import type { RoutingTable } from '../server/routing-table.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import type { StoredCertificate } from '../tls/certificate.js';
import type { CertificateStore } from '../tls/certificate-store.js';
import type { Listed } from './list-query.js';

/** Days before its end a certificate is shown as `warning` (Traefik's 30). */
const WARNING_DAYS = 30;

/** A certificate as the API shows it. */
export interface CertificateView {
  name: string;
  sans: string[];
  notAfter: string;
  notBefore: string;
  serialNumber: string;
  commonName: string;
  issuerOrg?: string;
  issuerCN?: string;
  issuerCountry?: string;
  organization?: string;
  country?: string;
  version: string;
  keyType: string;
  keySize?: number;
  certFingerprint: string;
  publicKeyFingerprint: string;
  status: 'enabled' | 'warning' | 'expired';
  /** Days left before `notAfter` (negative once expired). */
  daysLeft: number;
  source: string;
  origin: string;
  default: boolean;
  usedBy: string[];
}

/** The certificates served now, as listed items for `listResponse`. */
export function listedCertificates(
  store: CertificateStore,
  runtime: RuntimeConfiguration,
  table: RoutingTable,
  entryPoints: readonly string[],
): Listed[] {
  const users = certificateUsers(store, runtime, table, entryPoints);
  const fallback = store.defaultCertificate;
  return store.list().map((certificate) => {
    const view = certificateView(certificate, certificate === fallback, users.get(certificate) ?? []);
    return {
      name: view.name,
      status: view.status,
      searchAlso: [view.commonName, view.issuerOrg ?? '', view.issuerCN ?? '', ...view.sans].join(' '),
      view,
    };
  });
}

/** One certificate's view. */
export function certificateView(certificate: StoredCertificate, isDefault: boolean, usedBy: string[]): CertificateView {
  const x509 = new X509Certificate(certificate.certPem);
  const subject = fields(x509.subject);
  const issuer = fields(x509.issuer);
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails;
  const keyType =
    key.asymmetricKeyType === 'rsa'
      ? 'RSA'
      : key.asymmetricKeyType === 'ec'
        ? 'ECDSA'
        : (key.asymmetricKeyType ?? 'Unknown').toUpperCase();
  const keySize =
    details?.modulusLength ?? (details?.namedCurve !== undefined ? curveBits(details.namedCurve) : undefined);
  const days = Math.floor((certificate.notAfter.getTime() - Date.now()) / 86_400_000);
  const status =
    days < 0 || certificate.notAfter.getTime() < Date.now() ? 'expired' : days < WARNING_DAYS ? 'warning' : 'enabled';
  const fingerprint = x509.fingerprint256.replace(/:/g, '').toLowerCase();
  const spki = key.export({ type: 'spki', format: 'der' });
  return {
    name: fingerprint,
    sans: [...certificate.names].sort(),
    notAfter: certificate.notAfter.toISOString(),
    notBefore: certificate.notBefore.toISOString(),
    serialNumber: BigInt(`0x${x509.serialNumber}`).toString(),
    commonName: subject.CN ?? '',
    ...(issuer.O === undefined ? {} : { issuerOrg: issuer.O }),
    ...(issuer.CN === undefined ? {} : { issuerCN: issuer.CN }),
    ...(issuer.C === undefined ? {} : { issuerCountry: issuer.C }),
    ...(subject.O === undefined ? {} : { organization: subject.O }),
    ...(subject.C === undefined ? {} : { country: subject.C }),
    version: 'v3',
    keyType,
    ...(keySize === undefined ? {} : { keySize }),
    certFingerprint: fingerprint,
    publicKeyFingerprint: createHash('sha256').update(spki).digest('hex'),
    status,
    daysLeft: days,
    source: certificate.source,
    origin: certificate.origin,
    default: isDefault,
    usedBy,
  };
}

/** For each certificate, the TLS routers whose `Host` names it is served for. */
function certificateUsers(
  store: CertificateStore,
  runtime: RuntimeConfiguration,
  table: RoutingTable,
  entryPoints: readonly string[],
): Map<StoredCertificate, string[]> {
  const tlsRouters = new Set<string>();
  for (const entryPoint of entryPoints)
    for (const route of table.routesOf(entryPoint, true)) tlsRouters.add(route.name);
  const users = new Map<StoredCertificate, string[]>();
  for (const name of [...tlsRouters].sort()) {
    const rule = runtime.routers.get(name)?.config?.rule;
    if (rule === undefined) continue;
    let hosts: string[];
    try {
      hosts = ruleHosts(compileRuleMatcher(rule).ast);
    } catch {
      continue;
    }
    for (const host of hosts) {
      const certificate = store.lookup(host) ?? store.defaultCertificate;
      if (certificate === null) continue;
      const list = users.get(certificate) ?? [];
      if (!list.includes(name)) list.push(name);
      users.set(certificate, list);
    }
  }
  return users;
}

function fields(distinguished: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of distinguished.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function curveBits(curve: string): number | undefined {
  const bits = /(\d{3})/.exec(curve)?.[1];
  return bits === undefined ? undefined : Number(bits);
}
