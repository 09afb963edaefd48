/** TLS termination's parts: certificates, options, the per-entry-point policy (docs/architecture.md, layer 4). */
export {
  certificateNames,
  daysLeft,
  loadCertificate,
  type PemPair,
  readPemField,
  type StoredCertificate,
} from './certificate.js';
export { ACME_TLS_ALPN, type CertificateError, CertificateStore, CONFIG_SOURCE } from './certificate-store.js';
export { DEFAULT_CERT_CN, generateDefaultCertificate, selfSignedCertificate } from './default-certificate.js';
export {
  type ClientAuthType,
  CompiledTlsOptions,
  compileTlsOptions,
  DEFAULT_ALPN,
  defaultTlsOptions,
} from './tls-options.js';
export { TlsPolicy } from './tls-policy.js';
