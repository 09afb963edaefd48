/**
 * One server certificate as the store keeps it: the PEM pair, the names it serves (from its
 * SANs, else its CN) and the facts the API shows. Loading checks what would only fail later,
 * at a client's handshake: that the PEM parses, that the key is the certificate's, and its
 * dates. An expired certificate is still served (Traefik does not check either) with a warning.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** A certificate and its key, as PEM text. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** A loaded, checked certificate. */
export interface StoredCertificate extends PemPair {
  /** Names it is served for, lower-cased (`a.example.com`, `*.example.com`, IP addresses). */
  readonly names: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 fingerprint, `AB:CD:…`: the certificate's identity in the API. */
  readonly fingerprint: string;
  /** Where it came from: `file` (a provider name), `acme-le` (a resolver), `default`. */
  readonly source: string;
  /** The file it was read from, or `inline`. */
  readonly origin: string;
}

/** A PEM field of the configuration (`certFile`, `keyFile`, `caFiles[]`): a path, or the PEM itself. */
export function readPemField(value: string, baseDir: string | undefined): { pem: string; origin: string } {
  if (value.includes('-----BEGIN')) return { pem: value, origin: 'inline' };
  const path = isAbsolute(value) || baseDir === undefined ? value : resolve(baseDir, value);
  try {
    return { pem: readFileSync(path, 'utf8'), origin: path };
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Checks a PEM pair and reads its facts; throws a message naming `origin` when it cannot be served. */
export function loadCertificate(pair: PemPair, source: string, origin: string): StoredCertificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.certPem);
  } catch (error) {
    throw new Error(`${origin}: not a PEM certificate (${(error as Error).message})`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pair.keyPem);
  } catch (error) {
    throw new Error(`${origin}: the private key does not parse (${(error as Error).message})`);
  }
  if (!certificate.checkPrivateKey(key)) throw new Error(`${origin}: the private key does not match the certificate`);
  return {
    certPem: pair.certPem,
    keyPem: pair.keyPem,
    names: certificateNames(certificate),
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    fingerprint: certificate.fingerprint256,
    source,
    origin,
  };
}

/** The DNS names and IP addresses of the SAN extension, else the CN (as Go does for old certificates). */
export function certificateNames(certificate: X509Certificate): string[] {
  const names: string[] = [];
  const san = certificate.subjectAltName;
  if (san !== undefined) {
    for (const part of san.split(', ')) {
      if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
      else if (part.startsWith('IP Address:')) names.push(part.slice(11).toLowerCase());
    }
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
    if (cn !== undefined) names.push(cn.toLowerCase());
  }
  return [...new Set(names)];
}

/** Days from `now` to the certificate's end (negative once expired). */
export function daysLeft(certificate: StoredCertificate, now = Date.now()): number {
  return Math.floor((certificate.notAfter.getTime() - now) / 86_400_000);
}
