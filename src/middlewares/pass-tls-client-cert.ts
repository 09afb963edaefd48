/**
 * passTLSClientCert: passes the client certificate of a mutual-TLS connection to the server, as
 * Traefik does: `pem` fills `X-Forwarded-Tls-Client-Cert` with the chain's PEM bodies (no armour,
 * no line breaks, certificates joined by `,`); `info` fills `X-Forwarded-Tls-Client-Cert-Info`
 * with the selected facts, query-escaped (client-cert-info.ts has the format).
 *
 * The client's own versions of both headers are always removed on this middleware's routers, so
 * a server behind it can trust what it reads there (Traefik removes them at the entry point from
 * untrusted peers; here the cost stays on the routers that use the headers). Only certificates
 * the entry point's `clientAuth` accepted reach a request: the TLS stage refuses the others.
 */
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import {
  type ClientCertificate,
  certificateInfo,
  certificatePems,
  clientCertificates,
  type InfoSelection,
  queryEscape,
} from './client-cert-info.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const nameFields = {
  country: boolValue.optional(),
  province: boolValue.optional(),
  locality: boolValue.optional(),
  organization: boolValue.optional(),
  commonName: boolValue.optional(),
  serialNumber: boolValue.optional(),
  domainComponent: boolValue.optional(),
};

const schema = z.strictObject({
  pem: boolValue.optional(),
  info: z
    .strictObject({
      notAfter: boolValue.optional(),
      notBefore: boolValue.optional(),
      sans: boolValue.optional(),
      serialNumber: boolValue.optional(),
      subject: z.strictObject({ ...nameFields, organizationalUnit: boolValue.optional() }).optional(),
      issuer: z.strictObject(nameFields).optional(),
    })
    .optional(),
});

/** Validated passTLSClientCert options. */
export type PassTlsClientCertOptions = z.output<typeof schema>;

const CERT = 'x-forwarded-tls-client-cert';
const CERT_INFO = 'x-forwarded-tls-client-cert-info';

/** The passTLSClientCert middleware type. */
export const passTLSClientCert: MiddlewareDefinition<PassTlsClientCertOptions> = {
  type: 'passTLSClientCert',
  schema,
  build(options) {
    const pem = options.pem === true;
    const info: InfoSelection | undefined = options.info;
    // The values, made once per connection: the chain list is kept per connection, so it keys them.
    const made = new WeakMap<readonly ClientCertificate[], { pem: string; info: string }>();
    return (next: Handler): Handler =>
      (ctx) => {
        const headers = ctx.req.headers;
        if (headers[CERT] !== undefined) delete headers[CERT];
        if (headers[CERT_INFO] !== undefined) delete headers[CERT_INFO];
        if (ctx.scheme === 'https' && (pem || info !== undefined)) {
          const chain = clientCertificates(ctx.req.socket);
          if (chain.length > 0) {
            let values = made.get(chain);
            if (values === undefined) {
              values = {
                pem: pem ? certificatePems(chain) : '',
                info: info !== undefined ? queryEscape(certificateInfo(info, chain)) : '',
              };
              made.set(chain, values);
            }
            if (pem) headers[CERT] = values.pem;
            if (info !== undefined) headers[CERT_INFO] = values.info;
          }
        }
        next(ctx);
      };
  },
};
