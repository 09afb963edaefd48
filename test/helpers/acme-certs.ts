/**
 * Certificates made in process (@peculiar/x509 on WebCrypto) for the ACME tests: a CA and a leaf
 * it signs, with the names, addresses and validity asked, as PEM. Pebble's HTTPS listener uses
 * one; storage tests use them as stored ACME certificates.
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** What to put in the leaf certificate. */
export interface CertificateRequest {
  names: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  issuerName?: string;
}

/** A CA and a leaf signed by it (ECDSA P-256): `certPem` is the leaf then the CA, `keyPem` PKCS#8. */
export async function makeCertificate(
  request: CertificateRequest,
): Promise<{ caPem: string; leafPem: string; certPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const subtle = webcrypto.subtle;
  const caKeys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leafKeys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = request.notAfter ?? new Date(Date.now() + 24 * 3_600_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${request.issuerName ?? 'Switchyard test CA'}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${request.names[0] ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1']),
      new x509.SubjectAlternativeNameExtension([
        ...request.names.map((value) => ({ type: 'dns' as const, value })),
        ...(request.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const caPem = ca.toString('pem');
  const leafPem = leaf.toString('pem');
  return {
    caPem,
    leafPem,
    certPem: `${leafPem}\n${caPem}`,
    keyPem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', leafKeys.privateKey)),
  };
}
