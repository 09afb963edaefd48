/**
 * The dynamic `tls` section's objects in Traefik v3's key names: options (`tls.options.<name>`),
 * stores (`tls.stores.<name>`) and certificates (`tls.certificates[]`), and a router's `tls`.
 * Values are checked here for shape; what needs the TLS library (a cipher name, a readable PEM
 * file) is checked when the TLS configuration is built (src/tls/), with the key path.
 */
import { z } from 'zod';
import { boolValue, stringList, stringValue } from './value-schemas.js';

/** `main` and `sans` of a certificate domain (router `tls.domains[]`, `defaultGeneratedCert.domain`). */
export const tlsDomainSchema = z.looseObject({
  main: stringValue.optional(),
  sans: stringList.optional(),
});

/** `tls.options.<name>`. */
export const tlsOptionsSchema = z.looseObject({
  minVersion: stringValue.optional(),
  maxVersion: stringValue.optional(),
  cipherSuites: stringList.optional(),
  curvePreferences: stringList.optional(),
  clientAuth: z
    .looseObject({
      caFiles: stringList.optional(),
      clientAuthType: stringValue.optional(),
    })
    .optional(),
  sniStrict: boolValue.optional(),
  alpnProtocols: stringList.optional(),
  disableSessionTickets: boolValue.optional(),
  preferServerCipherSuites: boolValue.optional(),
});

/** `tls.certificates[]` and `tls.stores.<name>.defaultCertificate`. */
export const tlsCertificateSchema = z.looseObject({
  certFile: stringValue,
  keyFile: stringValue,
  stores: stringList.optional(),
});

/** `tls.stores.<name>`. */
export const tlsStoreSchema = z.looseObject({
  defaultCertificate: tlsCertificateSchema.omit({ stores: true }).optional(),
  defaultGeneratedCert: z
    .looseObject({
      resolver: stringValue.optional(),
      domain: tlsDomainSchema.optional(),
    })
    .optional(),
});

/** A router's `tls` (`tls: {}`, or from labels `tls=true`). */
export const routerTlsSchema = z.looseObject({
  options: stringValue.optional(),
  certResolver: stringValue.optional(),
  domains: z.array(tlsDomainSchema).optional(),
});

export type TlsOptionsConfig = z.output<typeof tlsOptionsSchema>;
export type TlsCertificateConfig = z.output<typeof tlsCertificateSchema>;
export type TlsStoreConfig = z.output<typeof tlsStoreSchema>;
export type RouterTlsConfig = z.output<typeof routerTlsSchema>;
