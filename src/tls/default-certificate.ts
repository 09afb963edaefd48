/**
 * The generated default certificate, served to clients whose server name matches no certificate
 * when no `tls.stores.default.defaultCertificate` is set: self-signed, CN `TRAEFIK DEFAULT CERT`
 * and a random `….traefik.default` name, as Traefik makes it, but with a P-256 key (Traefik uses
 * RSA 2048; an ECDSA handshake costs a fraction of the CPU). Made in memory at start, never
 * written anywhere.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PemPair } from './certificate.js';

/** The CN of the generated default certificate (Traefik's). */
export const DEFAULT_CERT_CN = 'TRAEFIK DEFAULT CERT';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Makes a self-signed P-256 certificate for `names` (the first is the CN unless `cn` is given), valid one year. */
export async function selfSignedCertificate(
  names: readonly string[],
  cn = names[0] ?? DEFAULT_CERT_CN,
): Promise<PemPair> {
  const crypto = webcrypto;
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${cn}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 86_400_000),
      keys: keys as never,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.SubjectAlternativeNameExtension(
          names.map((value) => ({ type: /^[\d.]+$|:/.test(value) ? 'ip' : 'dns', value })),
        ),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    },
    crypto as never,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { certPem: certificate.toString('pem'), keyPem };
}

/** Makes the default certificate (CN `TRAEFIK DEFAULT CERT`, a random `.traefik.default` name). */
export function generateDefaultCertificate(): Promise<PemPair> {
  const random = randomBytes(32).toString('hex');
  return selfSignedCertificate([`${random.slice(0, 32)}.${random.slice(32)}.traefik.default`], DEFAULT_CERT_CN);
}
