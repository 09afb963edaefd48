/**
 * The client certificate chain of a TLS connection, read once per connection and formatted as
 * Traefik's passTLSClientCert writes it (pkg/middlewares/passtlsclientcert): the PEM bodies of the
 * chain, and the selected subject, issuer, serial, validity and SAN facts.
 *
 * Node completes the chain it reports (`getPeerCertificate(true)`) with issuers from the server's
 * trust store, where Go's `PeerCertificates` are exactly what the client sent: a trailing
 * self-signed certificate other than the leaf (the root, which clients almost never send) is left
 * out, so the usual chains (a leaf, or a leaf and its intermediates) come out as Go has them.
 */
import type { Duplex } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import * as x509 from '@peculiar/x509';

/** One certificate of the chain, parsed once. */
export interface ClientCertificate {
  /** The PEM body: base64 of the DER, no armour, no line breaks (Traefik's `sanitize`). */
  readonly pem: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** The serial number in decimal, as Go's big.Int prints it. */
  readonly serialNumber: string;
  /** Validity bounds, seconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** DNS names, then e-mail addresses, then IPs, then URIs (Go's order). */
  readonly sans: readonly string[];
}

/** A name as Go's pkix.Name keeps it: repeated attributes in order, CN and SN the last one given. */
export interface DistinguishedName {
  readonly domainComponent: readonly string[];
  readonly country: readonly string[];
  readonly province: readonly string[];
  readonly locality: readonly string[];
  readonly organization: readonly string[];
  readonly organizationalUnit: readonly string[];
  readonly serialNumber: string;
  readonly commonName: string;
}

const CHAIN = Symbol('switchyard.clientCertificates');

type WithChain = Duplex & {
  getPeerCertificate?: (detailed: boolean) => PeerCertificate | null;
  [CHAIN]?: readonly ClientCertificate[];
};

const NONE: readonly ClientCertificate[] = Object.freeze([]);

/**
 * The client certificates of the connection `socket` carries (leaf first), or an empty list on a
 * plaintext connection or when the client sent none. Parsed on the first call, then kept on the
 * socket (for HTTP/2, `req.socket` forwards properties to the session's TLS socket).
 */
export function clientCertificates(socket: Duplex): readonly ClientCertificate[] {
  const withChain = socket as WithChain;
  // Every access may throw: HTTP/2's socket proxy does once its session has let the socket go.
  try {
    const known = withChain[CHAIN];
    if (known !== undefined) return known;
    let chain = NONE;
    if (typeof withChain.getPeerCertificate === 'function') {
      try {
        chain = readChain(withChain.getPeerCertificate(true));
      } catch {
        // A certificate Node accepted but the parser does not read is passed as nothing, never
        // an error for the request (Traefik logs and omits a certificate it cannot encode).
        chain = NONE;
      }
    }
    withChain[CHAIN] = chain;
    return chain;
  } catch {
    return NONE;
  }
}

function readChain(leaf: PeerCertificate | null): readonly ClientCertificate[] {
  if (leaf === null || leaf.raw === undefined || leaf.raw.length === 0) return NONE;
  const raws: Buffer[] = [];
  const seen = new Set<PeerCertificate>();
  let current: PeerCertificate | undefined = leaf;
  while (current?.raw !== undefined && !seen.has(current)) {
    seen.add(current);
    raws.push(current.raw);
    const issuer: PeerCertificate | undefined = (current as { issuerCertificate?: PeerCertificate }).issuerCertificate;
    // A self-signed certificate is its own issuer: the chain ends there.
    if (issuer === undefined || issuer === current || issuer.raw === undefined || issuer.raw.equals(current.raw)) break;
    current = issuer;
  }
  const parsed = raws.map(parseCertificate);
  if (parsed.length > 1) {
    const last = parsed[parsed.length - 1] as ParsedCertificate;
    if (last.selfSigned) parsed.pop();
  }
  return Object.freeze(parsed.map((entry) => entry.certificate));
}

interface ParsedCertificate {
  certificate: ClientCertificate;
  selfSigned: boolean;
}

/** Attribute types by @peculiar/x509's short name or, for those it has none for, OID. */
const ATTRIBUTE: Readonly<Record<string, keyof DistinguishedName>> = {
  DC: 'domainComponent',
  '0.9.2342.19200300.100.1.25': 'domainComponent',
  C: 'country',
  '2.5.4.6': 'country',
  ST: 'province',
  '2.5.4.8': 'province',
  L: 'locality',
  '2.5.4.7': 'locality',
  O: 'organization',
  '2.5.4.10': 'organization',
  OU: 'organizationalUnit',
  '2.5.4.11': 'organizationalUnit',
  // Not `SN`: that short name is the surname (2.5.4.4) in @peculiar/x509.
  '2.5.4.5': 'serialNumber',
  CN: 'commonName',
  '2.5.4.3': 'commonName',
};

function parseCertificate(raw: Buffer): ParsedCertificate {
  const certificate = new x509.X509Certificate(raw);
  const subject = readName(certificate.subjectName);
  const issuer = readName(certificate.issuerName);
  const sans: string[] = [];
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (extension !== null) {
    const items = extension.names.items;
    for (const kind of ['dns', 'email', 'ip', 'url'] as const) {
      for (const item of items) {
        if (item.type !== kind) continue;
        sans.push(kind === 'ip' ? formatIp(item) : item.value);
      }
    }
  }
  return {
    certificate: {
      pem: raw.toString('base64'),
      subject,
      issuer,
      serialNumber: BigInt(`0x${certificate.serialNumber || '0'}`).toString(),
      notBefore: Math.floor(certificate.notBefore.getTime() / 1000),
      notAfter: Math.floor(certificate.notAfter.getTime() / 1000),
      sans,
    },
    selfSigned: certificate.subject === certificate.issuer,
  };
}

function readName(name: x509.Name): DistinguishedName {
  const out = {
    domainComponent: [] as string[],
    country: [] as string[],
    province: [] as string[],
    locality: [] as string[],
    organization: [] as string[],
    organizationalUnit: [] as string[],
    serialNumber: '',
    commonName: '',
  };
  for (const rdn of name.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      const field = ATTRIBUTE[type];
      if (field === undefined) continue;
      for (const value of values) {
        if (field === 'serialNumber' || field === 'commonName') out[field] = value;
        else out[field].push(value);
      }
    }
  }
  return out;
}

/** An IP SAN as Go's net.IP prints it: dotted for IPv4 (and IPv4-mapped), compressed IPv6. */
function formatIp(item: x509.GeneralName): string {
  // The encoded GeneralName is `[7] length octets` (a short length: 4 or 16 octets).
  const raw = new Uint8Array(item.rawData);
  const octets = raw.length > 2 && raw[1] === raw.length - 2 ? raw.subarray(2) : new Uint8Array(0);
  return formatIpOctets(octets) ?? item.value;
}

/** Go's net.IP.String for 4 or 16 octets; null for another length. */
export function formatIpOctets(octets: Uint8Array): string | null {
  if (octets.length === 4) return octets.join('.');
  if (octets.length !== 16) return null;
  const mapped = octets.subarray(0, 10).every((b) => b === 0) && octets[10] === 0xff && octets[11] === 0xff;
  if (mapped) return octets.subarray(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i] as number) << 8) | (octets[i + 1] as number));
  // The longest run of two or more zero groups (the first of equal runs) becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) continue;
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Which subject or issuer attributes to pass (the issuer has no organizationalUnit). */
export interface NameSelection {
  readonly country?: boolean;
  readonly province?: boolean;
  readonly locality?: boolean;
  readonly organization?: boolean;
  readonly organizationalUnit?: boolean;
  readonly commonName?: boolean;
  readonly serialNumber?: boolean;
  readonly domainComponent?: boolean;
}

/** Which certificate facts to pass in X-Forwarded-Tls-Client-Cert-Info. */
export interface InfoSelection {
  readonly notAfter?: boolean;
  readonly notBefore?: boolean;
  readonly sans?: boolean;
  readonly serialNumber?: boolean;
  readonly subject?: NameSelection;
  readonly issuer?: NameSelection;
}

function nameParts(selection: NameSelection | undefined, name: DistinguishedName): string {
  if (selection === undefined) return '';
  const parts: string[] = [];
  const add = (prefix: string, values: readonly string[]): void => {
    for (const value of values) if (value !== '') parts.push(`${prefix}=${value}`);
  };
  if (selection.domainComponent) add('DC', name.domainComponent);
  if (selection.country) add('C', name.country);
  if (selection.province) add('ST', name.province);
  if (selection.locality) add('L', name.locality);
  if (selection.organization) add('O', name.organization);
  if (selection.organizationalUnit) add('OU', name.organizationalUnit);
  if (selection.serialNumber) add('SN', [name.serialNumber]);
  if (selection.commonName) add('CN', [name.commonName]);
  return parts.join(',');
}

/**
 * The unescaped X-Forwarded-Tls-Client-Cert-Info value: per certificate `Subject="…"`,
 * `Issuer="…"`, `SerialNumber="…"`, `NB="…"`, `NA="…"`, `SAN="…"` joined by `;` (empty fields
 * left out), certificates joined by `,`.
 */
export function certificateInfo(selection: InfoSelection, chain: readonly ClientCertificate[]): string {
  const perCertificate: string[] = [];
  for (const certificate of chain) {
    const fields: string[] = [];
    const subject = nameParts(selection.subject, certificate.subject);
    if (subject !== '') fields.push(`Subject="${subject}"`);
    const issuer = nameParts(selection.issuer, certificate.issuer);
    if (issuer !== '') fields.push(`Issuer="${issuer}"`);
    if (selection.serialNumber && certificate.serialNumber !== '') {
      fields.push(`SerialNumber="${certificate.serialNumber}"`);
    }
    if (selection.notBefore) fields.push(`NB="${certificate.notBefore}"`);
    if (selection.notAfter) fields.push(`NA="${certificate.notAfter}"`);
    if (selection.sans && certificate.sans.length > 0) fields.push(`SAN="${certificate.sans.join(',')}"`);
    perCertificate.push(fields.join(';'));
  }
  return perCertificate.join(',');
}

/** The X-Forwarded-Tls-Client-Cert value: the chain's PEM bodies joined by `,`. */
export function certificatePems(chain: readonly ClientCertificate[]): string {
  return chain.map((certificate) => certificate.pem).join(',');
}

/**
 * Go's url.QueryEscape: letters, digits and `-_.~` stay, a space becomes `+`, every other byte of
 * the UTF-8 form is `%XX` (upper-case hex).
 */
export function queryEscape(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const byte of bytes) {
    if (
      (byte >= 0x30 && byte <= 0x39) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2d ||
      byte === 0x5f ||
      byte === 0x2e ||
      byte === 0x7e
    ) {
      out += String.fromCharCode(byte);
    } else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
