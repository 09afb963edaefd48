/**
 * `tls.options.<name>` compiled once per configuration build into what a handshake needs: the
 * SecureContext settings (versions, ciphers, curves, client CAs), the client certificate policy,
 * the ALPN protocols and `sniStrict`. A value Traefik would refuse (an unknown version, cipher,
 * curve or client auth type, a CA file that does not read) is an error naming its key; the
 * options are then unusable and so are the routers that name them.
 */
import { constants, createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsOptionsConfig } from '../config/tls-schema.js';
import type { StoredCertificate } from './certificate.js';
import { readPemField } from './certificate.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS, TLS13_SUITES } from './go-names.js';

/** Traefik's client certificate policies. */
export type ClientAuthType =
  | 'NoClientCert'
  | 'RequestClientCert'
  | 'RequireAnyClientCert'
  | 'VerifyClientCertIfGiven'
  | 'RequireAndVerifyClientCert';

const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
];

/** Traefik's default ALPN protocols (`acme-tls/1` is only chosen when an ACME challenge waits). */
export const DEFAULT_ALPN = ['h2', 'http/1.1', 'acme-tls/1'] as const;

/** Compiled TLS options; its SecureContexts (one per certificate) are made on first use and kept. */
export class CompiledTlsOptions {
  /** Contexts of this build, per certificate (a reloaded certificate is a new object). */
  private readonly contexts = new WeakMap<StoredCertificate, SecureContext>();
  private refusal: SecureContext | null = null;

  constructor(
    /** Qualified name (`default`, `modern@file`). */
    readonly name: string,
    readonly context: Readonly<SecureContextOptions>,
    readonly clientAuth: ClientAuthType,
    readonly alpnProtocols: readonly string[],
    readonly sniStrict: boolean,
  ) {}

  /** Whether the handshake asks the client for a certificate. */
  get requestCert(): boolean {
    return this.clientAuth !== 'NoClientCert';
  }

  /** The context serving `certificate` under these options. */
  contextFor(certificate: StoredCertificate): SecureContext {
    let context = this.contexts.get(certificate);
    if (context === undefined) {
      context = createSecureContext({ ...this.context, cert: certificate.certPem, key: certificate.keyPem });
      this.contexts.set(certificate, context);
    }
    return context;
  }

  /** A context without certificate: the handshake fails with an alert (`sniStrict`, no certificate at all). */
  refusalContext(): SecureContext {
    if (this.refusal === null) this.refusal = createSecureContext(this.context);
    return this.refusal;
  }
}

/** The options Traefik applies when none named `default` is configured. */
export function defaultTlsOptions(): CompiledTlsOptions {
  return compileTlsOptions('default', {}, 'tls.options.default');
}

/**
 * Compiles one options object; throws an Error whose message names the key (`key` is the
 * object's path, `tls.options.modern`). `baseDir` resolves relative CA file paths.
 */
export function compileTlsOptions(
  name: string,
  config: TlsOptionsConfig,
  key: string,
  baseDir?: string,
): CompiledTlsOptions {
  // Renegotiation (TLS 1.2; 1.3 has none) is cut by the TLS stage (tls-stage.ts), not refused
  // here: OpenSSL's SSL_OP_NO_RENEGOTIATION answers with a warning and leaves Node's socket unable
  // to see the peer's close, so the connection would stay open.
  const context: SecureContextOptions = { minVersion: 'TLSv1.2' };
  if (config.minVersion !== undefined) context.minVersion = version(config.minVersion, `${key}.minVersion`);
  if (config.maxVersion !== undefined) context.maxVersion = version(config.maxVersion, `${key}.maxVersion`);
  const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  if (
    context.maxVersion !== undefined &&
    order.indexOf(context.maxVersion) < order.indexOf(context.minVersion as string)
  ) {
    throw new Error(
      `${key}: maxVersion ${config.maxVersion} is below minVersion ${config.minVersion ?? 'VersionTLS12'}`,
    );
  }
  if (config.cipherSuites !== undefined && config.cipherSuites.length > 0) {
    const openssl: string[] = [];
    for (const suite of config.cipherSuites) {
      if (!(suite in CIPHER_SUITES)) throw new Error(`${key}.cipherSuites: invalid CipherSuite: ${suite}`);
      const mapped = CIPHER_SUITES[suite];
      // TLS 1.3 suites are always on (Go's rule), and suites OpenSSL 3 lacks can never be chosen.
      if (mapped !== null && mapped !== undefined && !mapped.startsWith('TLS_')) openssl.push(mapped);
    }
    // An empty TLS 1.2 list would let OpenSSL fall back to its defaults: none of them is meant.
    context.ciphers = `${TLS13_SUITES}:${openssl.length > 0 ? openssl.join(':') : '!ALL'}`;
  }
  if (config.curvePreferences !== undefined && config.curvePreferences.length > 0) {
    context.ecdhCurve = config.curvePreferences
      .map((curve) => {
        const group = CURVES[curve];
        if (group === undefined)
          throw new Error(`${key}.curvePreferences: invalid CurveID in curvePreferences: ${curve}`);
        return group;
      })
      .join(':');
  }
  const caFiles = config.clientAuth?.caFiles ?? [];
  if (caFiles.length > 0) {
    context.ca = caFiles.map((file, i) => {
      try {
        return readPemField(file, baseDir).pem;
      } catch (error) {
        throw new Error(`${key}.clientAuth.caFiles[${i}]: ${(error as Error).message}`);
      }
    });
  }
  // Traefik: CA files without a type mean RequireAndVerifyClientCert.
  let clientAuth: ClientAuthType = caFiles.length > 0 ? 'RequireAndVerifyClientCert' : 'NoClientCert';
  const type = config.clientAuth?.clientAuthType;
  if (type !== undefined && type !== '') {
    if (!CLIENT_AUTH_TYPES.includes(type as ClientAuthType)) {
      throw new Error(`${key}.clientAuth.clientAuthType: unknown client auth type ${JSON.stringify(type)}`);
    }
    clientAuth = type as ClientAuthType;
    if (
      caFiles.length === 0 &&
      (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')
    ) {
      throw new Error(`${key}.clientAuth: invalid clientAuthType: ${clientAuth}, CAFiles is required`);
    }
  }
  // Required by OpenSSL once client certificates are asked for, and one per options so a session
  // made under options without client authentication never resumes under options with it.
  context.sessionIdContext = createHash('sha256').update(key).digest('hex').slice(0, 32);
  if (config.disableSessionTickets === true) context.secureOptions = constants.SSL_OP_NO_TICKET;
  try {
    // Checked now, so a bad combination (min above max) is this key's error and not a handshake's.
    createSecureContext(context);
  } catch (error) {
    throw new Error(`${key}: ${(error as Error).message}`);
  }
  const alpn =
    config.alpnProtocols !== undefined && config.alpnProtocols.length > 0 ? config.alpnProtocols : DEFAULT_ALPN;
  return new CompiledTlsOptions(
    name,
    Object.freeze(context),
    clientAuth,
    Object.freeze([...alpn]),
    config.sniStrict === true,
  );
}

function version(value: string, key: string): NonNullable<SecureContextOptions['minVersion']> {
  const mapped = TLS_VERSIONS[value];
  if (mapped === undefined) {
    throw new Error(
      `${key}: unknown TLS version ${JSON.stringify(value)} (VersionTLS10, VersionTLS11, VersionTLS12 or VersionTLS13)`,
    );
  }
  return mapped;
}
