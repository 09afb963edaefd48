/**
 * Which CAs to trust for a private ACME server (pebble, step-ca, an internal Boulder). Node
 * already honours `NODE_EXTRA_CA_CERTS` (read once at process start); Traefik users set lego's
 * `LEGO_CA_CERTIFICATES` (PEM files, separated by `:` or `,`), and a resolver may list
 * `caCertificates`. Those files are added to Node's roots (and to `NODE_EXTRA_CA_CERTS`'s file,
 * which an explicit CA list would otherwise drop) in one HTTPS agent for that resolver.
 */
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { rootCertificates } from 'node:tls';

/** The CA files named by `LEGO_CA_CERTIFICATES` and `caCertificates`. */
export function extraCaFiles(env: NodeJS.ProcessEnv, caCertificates: readonly string[] = []): string[] {
  const fromEnv = (env.LEGO_CA_CERTIFICATES ?? '')
    .split(new RegExp(`[,${delimiter === ':' ? ':' : ';'}]`))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...fromEnv, ...caCertificates];
}

/**
 * The CAs to trust: Node's roots, `NODE_EXTRA_CA_CERTS` and `files`; undefined when there are no
 * files (Node's defaults then apply, `NODE_EXTRA_CA_CERTS` included). Throws naming a file that
 * cannot be read.
 */
export function trustedCas(files: readonly string[], env: NodeJS.ProcessEnv): string[] | undefined {
  if (files.length === 0) return undefined;
  const ca: string[] = [...rootCertificates];
  const nodeExtra = env.NODE_EXTRA_CA_CERTS;
  if (nodeExtra) {
    try {
      ca.push(readFileSync(nodeExtra, 'utf8'));
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up.
    }
  }
  for (const file of files) {
    try {
      ca.push(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `cannot read the CA file ${file} (LEGO_CA_CERTIFICATES or caCertificates): ${(error as Error).message}`,
      );
    }
  }
  return ca;
}

/** TLS verification failures that mean "this server's CA is not trusted here". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** A clear message when `error` is an untrusted-certificate failure talking to `caServer`, else undefined. */
export function untrustedServerMessage(error: unknown, caServer: string): string | undefined {
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code !== 'string' || !UNTRUSTED.has(code)) return undefined;
  return (
    `the ACME server ${caServer} presents a certificate that no trusted CA signed (${code}): ` +
    "give its CA file in LEGO_CA_CERTIFICATES or NODE_EXTRA_CA_CERTS (set before start), or in the resolver's caCertificates"
  );
}
