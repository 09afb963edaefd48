/**
 * Traefik's `acme.json`, read and written in Traefik's own layout so that a Traefik user moves
 * over with their file (and back):
 *
 *   { "<resolver>": { "Account": { "Email", "Registration": { "body", "uri" }, "PrivateKey", "KeyType" },
 *                     "Certificates": [ { "domain": { "main", "sans" }, "certificate", "key", "Store" } ] } }
 *
 * Go encodes `[]byte` as standard base64: `PrivateKey` is the account's RSA key in PKCS#1 DER,
 * `certificate` and `key` are PEM text (the certificate with its chain). This module only maps
 * between that JSON and plain values; file I/O is in acme-store.ts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { AcmeDomain } from './domains.js';

/** An ACME account as stored: what is needed to sign requests and find the account again. */
export interface StoredAccount {
  email: string;
  /** The account body the server returned, and its URL (`Registration.body` / `.uri`). */
  registration?: { body: Record<string, unknown>; uri: string } | undefined;
  /** The account key, PEM (PKCS#8), as acme-client wants it. */
  privateKeyPem: string;
  /** lego's key type name, kept as read (`4096`, `P256`): Traefik v3 writes it, newer builds drop it. */
  keyType?: string | undefined;
}

/** A certificate as stored, PEM text decoded. */
export interface StoredCertificate {
  domain: AcmeDomain;
  certPem: string;
  keyPem: string;
  store: string;
}

/** One resolver's part of the file. */
export interface ResolverData {
  account?: StoredAccount | undefined;
  certificates: StoredCertificate[];
}

/** Traefik's `KeyType` names (lego's certcrypto) for Switchyard's `keyType` values. */
export const LEGO_KEY_TYPES: Readonly<Record<string, string>> = {
  EC256: 'P256',
  EC384: 'P384',
  RSA2048: '2048',
  RSA3072: '3072',
  RSA4096: '4096',
  RSA8192: '8192',
};

/** A file that is not Traefik's `acme.json` layout: the message says where. */
export class AcmeJsonError extends Error {
  override name = 'AcmeJsonError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function decodeBase64Text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new AcmeJsonError(`${where}: expected base64 text`);
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN ')) throw new AcmeJsonError(`${where}: not base64-encoded PEM`);
  return text;
}

/** The account key (PKCS#1 DER in Traefik's file; PKCS#8 or SEC1 accepted) as PKCS#8 PEM. */
function accountKeyPem(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new AcmeJsonError(`${where}: expected the base64 account key`);
  const der = Buffer.from(value, 'base64');
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type }).export({ type: 'pkcs8', format: 'pem' }) as string;
    } catch {
      // Try the next encoding.
    }
  }
  throw new AcmeJsonError(`${where}: the account key is not a DER private key`);
}

/** The account key as Traefik stores it: PKCS#1 DER for RSA (Traefik's accounts are RSA 4096), else PKCS#8. */
function encodeAccountKey(pem: string): string {
  const key = createPrivateKey(pem);
  const der =
    key.asymmetricKeyType === 'rsa'
      ? key.export({ type: 'pkcs1', format: 'der' })
      : key.export({ type: 'pkcs8', format: 'der' });
  return der.toString('base64');
}

function parseDomain(value: unknown, where: string): AcmeDomain {
  if (!isObject(value) || typeof value.main !== 'string' || value.main === '') {
    throw new AcmeJsonError(`${where}.domain: expected { "main": "…", "sans": [ … ] }`);
  }
  const sans = value.sans ?? [];
  if (!Array.isArray(sans) || !sans.every((s) => typeof s === 'string')) {
    throw new AcmeJsonError(`${where}.domain.sans: expected a list of names`);
  }
  return { main: value.main, sans };
}

/** Parses the text of an `acme.json` (empty text is an empty file); throws AcmeJsonError naming the fault. */
export function parseAcmeJson(text: string): Map<string, ResolverData> {
  const result = new Map<string, ResolverData>();
  if (text.trim() === '') return result;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AcmeJsonError(`not valid JSON: ${(error as Error).message}`);
  }
  if (raw === null) return result;
  if (!isObject(raw)) throw new AcmeJsonError('expected an object of resolvers by name');
  for (const [resolver, data] of Object.entries(raw)) {
    if (data === null) continue;
    if (!isObject(data)) throw new AcmeJsonError(`${resolver}: expected { "Account", "Certificates" }`);
    const entry: ResolverData = { certificates: [] };
    const account = data.Account;
    // Traefik writes an account without a key while it has not registered yet: nothing to reuse.
    if (isObject(account) && account.PrivateKey !== null && account.PrivateKey !== undefined) {
      const registration = account.Registration;
      entry.account = {
        email: typeof account.Email === 'string' ? account.Email : '',
        privateKeyPem: accountKeyPem(account.PrivateKey, `${resolver}.Account.PrivateKey`),
        registration:
          isObject(registration) && typeof registration.uri === 'string'
            ? { body: isObject(registration.body) ? registration.body : {}, uri: registration.uri }
            : undefined,
        keyType: typeof account.KeyType === 'string' ? account.KeyType : undefined,
      };
    }
    const certificates = data.Certificates ?? [];
    if (!Array.isArray(certificates)) throw new AcmeJsonError(`${resolver}.Certificates: expected a list`);
    for (const [index, cert] of certificates.entries()) {
      const where = `${resolver}.Certificates[${index}]`;
      if (!isObject(cert)) throw new AcmeJsonError(`${where}: expected an object`);
      // Traefik drops entries without certificate or key when it reads the file; so do we.
      if (!cert.certificate || !cert.key) continue;
      entry.certificates.push({
        domain: parseDomain(cert.domain, where),
        certPem: decodeBase64Text(cert.certificate, `${where}.certificate`),
        keyPem: decodeBase64Text(cert.key, `${where}.key`),
        store: typeof cert.Store === 'string' && cert.Store !== '' ? cert.Store : 'default',
      });
    }
    result.set(resolver, entry);
  }
  return result;
}

/** Serialises resolvers to Traefik's layout, two-space indented as Traefik writes it. */
export function formatAcmeJson(data: ReadonlyMap<string, ResolverData>): string {
  const out: Record<string, unknown> = {};
  for (const [resolver, entry] of data) {
    const account = entry.account;
    out[resolver] = {
      Account: account
        ? {
            Email: account.email,
            Registration: account.registration
              ? { body: account.registration.body, uri: account.registration.uri }
              : null,
            PrivateKey: encodeAccountKey(account.privateKeyPem),
            KeyType: account.keyType ?? '4096',
          }
        : null,
      Certificates:
        entry.certificates.length === 0
          ? null
          : entry.certificates.map((cert) => ({
              domain:
                cert.domain.sans.length > 0
                  ? { main: cert.domain.main, sans: cert.domain.sans }
                  : { main: cert.domain.main },
              certificate: Buffer.from(cert.certPem, 'utf8').toString('base64'),
              key: Buffer.from(cert.keyPem, 'utf8').toString('base64'),
              Store: cert.store,
            })),
    };
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** What the status list shows of a certificate: its names, issuer and validity, or why it cannot be read. */
export interface CertificateFacts {
  notBefore: number;
  notAfter: number;
  issuer: string;
  names: string[];
}

/** Reads the leaf of a PEM chain; undefined when it does not parse (such a certificate is renewed). */
export function certificateFacts(certPem: string): CertificateFacts | undefined {
  try {
    const leaf = new X509Certificate(certPem);
    const names = (leaf.subjectAltName ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
    const issuerCn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.issuer)?.[1];
    return {
      notBefore: Date.parse(leaf.validFrom),
      notAfter: Date.parse(leaf.validTo),
      issuer: issuerCn ?? leaf.issuer.replace(/\n/g, ', '),
      names,
    };
  } catch {
    return undefined;
  }
}
