/**
 * Automatic HTTPS: ACME certificate resolvers (`certificatesResolvers.<name>.acme`). See
 * docs/acme.md; the manager is the entry point, `wantedCertificates` computes what to order.
 */

export type { AcmeProblem } from './acme-http.js';
export { type CertificateFacts, certificateFacts, formatAcmeJson, parseAcmeJson } from './acme-json.js';
export { ChallengeAnswers, type ChallengeSnapshot, HTTP_CHALLENGE_PREFIX } from './challenges.js';
export {
  type AcmeDomain,
  DEFAULT_GENERATED_CERT,
  type EntryPointForAcme,
  type OtherRequests,
  type RouterForAcme,
  type WantedCertificate,
  type WantedCertificates,
  type WantedIssue,
  wantedCertificates,
} from './domains.js';
export { AcmeManager, type AcmeManagerOptions } from './manager.js';
export { renewalSchedule } from './renewal.js';
export type { AcmeCertificateStatus } from './resolver.js';
