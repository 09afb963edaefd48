/**
 * A servers transport's TLS material (`rootCAs`, `certificates`, `serverName`, `disableHTTP2`),
 * read and checked when the table is built: a file that is missing or not PEM is an error on the
 * services that use the transport, with the key named, and dialing reads no file.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServersTransportConfig } from '../config/dynamic-schema.js';
import type { TransportOptions } from '../proxy/transport.js';

/** Inline PEM (Traefik accepts either), or the contents of the file it names. */
export function readPem(value: string, location: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new Error(`${location}: cannot read ${JSON.stringify(value)}: ${(error as Error).message}`);
  }
}

function checkedCertificate(pem: string, location: string): string {
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new Error(`${location}: not a PEM certificate (${(error as Error).message})`);
  }
  return pem;
}

/** The TLS part of a dynamic servers transport's options. */
export function transportTls(
  config: ServersTransportConfig,
  location: string,
): Pick<TransportOptions, 'rootCAs' | 'serverName' | 'certificate' | 'disableHTTP2'> {
  const rootCAs = (config.rootCAs ?? []).map((value, i) =>
    checkedCertificate(readPem(value, `${location}.rootCAs[${i}]`), `${location}.rootCAs[${i}]`),
  );
  const first = config.certificates?.[0];
  let certificate: TransportOptions['certificate'] = null;
  if (first !== undefined) {
    const where = `${location}.certificates[0]`;
    const cert = checkedCertificate(readPem(first.certFile, `${where}.certFile`), `${where}.certFile`);
    const key = readPem(first.keyFile, `${where}.keyFile`);
    try {
      const x509 = new X509Certificate(cert);
      if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not match the certificate');
    } catch (error) {
      throw new Error(`${where}.keyFile: ${(error as Error).message}`);
    }
    certificate = { cert, key };
  }
  return {
    rootCAs,
    serverName: config.serverName ?? '',
    certificate,
    disableHTTP2: config.disableHTTP2 ?? false,
  };
}
