/**
 * `certificatesResolvers.<name>.acme` in Traefik v3's key names (static configuration): the ACME
 * account, where certificates are stored and how they are renewed, and the challenges. Kept
 * apart from static-schema.ts so that the ACME keys read in one place; static-schema.ts mounts
 * it. Keys Traefik has and Switchyard does not implement (`profile`, `emailAddresses`,
 * `clientTimeout`, …) are not listed here, so the loader reports each as ignored.
 */
import { z } from 'zod';
import { boolValue, durationMs, integerValue, stringList, stringValue, wordValue } from './value-schemas.js';

/** Let's Encrypt production, Traefik's default `caServer`. */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
/** Let's Encrypt staging: untrusted certificates, generous rate limits; use it while testing. */
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** Certificate key types, Traefik's spellings (`keyType`). */
export const ACME_KEY_TYPES = ['EC256', 'EC384', 'RSA2048', 'RSA3072', 'RSA4096', 'RSA8192'] as const;

/** The DNS providers implemented (lego's generic ones), by Traefik's `dnsChallenge.provider` name. */
export const ACME_DNS_PROVIDERS = ['exec', 'httpreq'] as const;

const delay = durationMs.default(0);

export const acmeSchema = z
  .object({
    email: stringValue.optional(),
    caServer: stringValue.default(LETS_ENCRYPT_PRODUCTION),
    storage: stringValue.default('acme.json'),
    keyType: wordValue(ACME_KEY_TYPES).default('RSA4096'),
    /** External account binding (ZeroSSL, Google, …): both keys or neither. */
    eab: z.object({ kid: stringValue, hmacEncoded: stringValue }).optional(),
    /** Hours: chooses the renewal schedule (see acme/renewal.ts); 2160 = 90 days. */
    certificatesDuration: integerValue(1).default(2160),
    preferredChain: stringValue.optional(),
    /** Extra CA files to trust for `caServer`, like `LEGO_CA_CERTIFICATES`. */
    caCertificates: stringList.optional(),
    httpChallenge: z.object({ entryPoint: stringValue, delay }).optional(),
    tlsChallenge: z.object({ delay }).optional(),
    dnsChallenge: z
      .object({
        provider: stringValue,
        resolvers: stringList.optional(),
        propagation: z
          .object({
            disableChecks: boolValue.default(false),
            delayBeforeChecks: durationMs.default(0),
          })
          .prefault({}),
        /** Deprecated by Traefik in favour of `propagation.delayBeforeChecks`; still honoured. */
        delayBeforeCheck: durationMs.optional(),
        /** Deprecated by Traefik in favour of `propagation.disableChecks`; still honoured. */
        disablePropagationCheck: boolValue.optional(),
      })
      .optional(),
  })
  .refine((acme) => acme.httpChallenge || acme.tlsChallenge || acme.dnsChallenge, {
    message: 'an ACME resolver needs a challenge: httpChallenge, tlsChallenge or dnsChallenge',
  });

export const certificatesResolverSchema = z.object({ acme: acmeSchema });

/** `certificatesResolvers`: resolvers by name. */
export const certificatesResolversSchema = z.record(z.string(), certificatesResolverSchema);

/** One resolver's validated `acme` section, defaults applied. */
export type AcmeConfig = z.output<typeof acmeSchema>;
