/**
 * Certificates made in process for TLS tests (@peculiar/x509 over WebCrypto, P-256): a CA, server
 * certificates it signs (with chosen names and dates), client certificates for mTLS, and an
 * HTTPS client that reports what the handshake gave.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { request } from 'node:https';
import { type ConnectionOptions, connect, type PeerCertificate } from 'node:tls';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A certificate and its key, PEM. */
export interface TestPair {
  certPem: string;
  keyPem: string;
}

/** A certificate authority able to sign more certificates. */
export interface TestCa extends TestPair {
  keys: webcrypto.CryptoKeyPair;
  name: string;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

function serial(): string {
  return `01${randomBytes(15).toString('hex')}`;
}

/** Makes a CA named `cn`. */
export async function makeCa(cn = 'Switchyard Test CA'): Promise<TestCa> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${cn}`,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      keys: keys as never,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    },
    webcrypto as never,
  );
  return { certPem: certificate.toString('pem'), keyPem: await keyPem(keys), keys, name: `CN=${cn}` };
}

/** Options of a signed certificate. */
export interface LeafOptions {
  /** Subject CN (default: the first name). */
  cn?: string;
  /** A client certificate (extended key usage clientAuth) rather than a server one. */
  client?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** Makes a certificate for `names` signed by `ca`. */
export async function makeCertificate(ca: TestCa, names: string[], options: LeafOptions = {}): Promise<TestPair> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${options.cn ?? names[0] ?? 'client'}`,
      issuer: ca.name,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY),
      notAfter: options.notAfter ?? new Date(Date.now() + 90 * DAY),
      publicKey: keys.publicKey as never,
      signingKey: ca.keys.privateKey as never,
      signingAlgorithm: ALGORITHM,
      extensions: [
        ...(names.length > 0
          ? [new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))]
          : []),
        new x509.ExtendedKeyUsageExtension([
          options.client ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
        ]),
      ],
    },
    webcrypto as never,
  );
  return { certPem: certificate.toString('pem'), keyPem: await keyPem(keys) };
}

/** What a TLS connection gave: the server's certificate CN, protocol, or the error. */
export interface HandshakeResult {
  ok: boolean;
  cn?: string;
  names?: string;
  protocol?: string | null;
  alpn?: string | false;
  error?: string;
}

/** Makes one TLS handshake and closes; never rejects. */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate() as PeerCertificate;
      const result: HandshakeResult = {
        ok: true,
        cn: peer.subject?.CN as string | undefined,
        names: peer.subjectaltname,
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol ?? false,
      };
      socket.end();
      resolve(result);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
  });
}

/** A whole HTTPS response. */
export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  cn?: string;
}

/** One HTTPS request to 127.0.0.1:`port` with `servername` as SNI and Host; rejects on TLS or HTTP failure. */
export function httpsGet(
  port: number,
  servername: string,
  path = '/',
  tls: ConnectionOptions & { headers?: Record<string, string> } = {},
): Promise<HttpsResponse> {
  const { headers, ...rest } = tls;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername,
        headers: { host: servername, ...headers },
        rejectUnauthorized: false,
        agent: false,
        ...rest,
      } as never,
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            cn: peer?.subject?.CN as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
