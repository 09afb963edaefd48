/**
 * Schemas of the dynamic configuration's `tcp` and `udp` objects, in Traefik v3's key names.
 * The runtime configuration keeps these objects as written (merge.ts, the API show them so);
 * the TCP and UDP table builders (src/tcp/, src/udp/) validate each one here, once per build, and
 * an invalid object is disabled with the key path of its error.
 */
import { z } from 'zod';
import { boolValue, durationMs, integerValue, stringList } from './value-schemas.js';

/** `tcp.routers.<name>.tls`: present (even empty) means the router matches TLS connections only. */
export const tcpRouterTlsSchema = z.looseObject({
  passthrough: boolValue.optional(),
  options: z.string().optional(),
  certResolver: z.string().optional(),
  domains: z.array(z.unknown()).optional(),
});

export const tcpRouterSchema = z.looseObject({
  rule: z.string().optional(),
  service: z.string().optional(),
  middlewares: stringList.optional(),
  entryPoints: stringList.optional(),
  priority: integerValue().optional(),
  ruleSyntax: z.string().optional(),
  tls: z.union([tcpRouterTlsSchema, boolValue, z.null()]).optional(),
});

const proxyProtocolVersion = z.looseObject({ version: integerValue(1, 2).optional() });

export const tcpServerSchema = z.looseObject({
  address: z.string(),
  tls: boolValue.optional(),
  weight: integerValue(0).optional(),
});

export const tcpLoadBalancerSchema = z.looseObject({
  servers: z.array(tcpServerSchema).optional(),
  serversTransport: z.string().optional(),
  /** Traefik 3.0–3.2's place for it; 3.3 moved it to the servers transport (both are read). */
  proxyProtocol: proxyProtocolVersion.optional(),
  /**
   * Deprecated in Traefik 3.3 for `serversTransport.terminationDelay`; still read. Unlike the
   * transport's (a duration), Traefik types this one as an integer of milliseconds (negative: no limit).
   */
  terminationDelay: integerValue().optional(),
  healthCheck: z
    .looseObject({
      port: integerValue(1, 65535).optional(),
      send: z.string().optional(),
      expect: z.string().optional(),
      interval: durationMs.optional(),
      unhealthyInterval: durationMs.optional(),
      timeout: durationMs.optional(),
    })
    .optional(),
});

export const tcpWeightedSchema = z.looseObject({
  services: z.array(z.looseObject({ name: z.string(), weight: integerValue(0).optional() })).optional(),
  /** Traefik propagates its children's health only with it; Switchyard's weighted services always skip children with nothing available. */
  healthCheck: z.looseObject({}).optional(),
});

export const tcpServiceSchema = z
  .looseObject({ loadBalancer: tcpLoadBalancerSchema.optional(), weighted: tcpWeightedSchema.optional() })
  .refine((s) => (s.loadBalancer === undefined) !== (s.weighted === undefined), {
    message: 'a TCP service needs exactly one of loadBalancer or weighted',
  });

export const tcpServersTransportSchema = z.looseObject({
  dialTimeout: durationMs.optional(),
  dialKeepAlive: durationMs.optional(),
  terminationDelay: durationMs.optional(),
  proxyProtocol: proxyProtocolVersion.optional(),
  tls: z
    .looseObject({
      serverName: z.string().optional(),
      insecureSkipVerify: boolValue.optional(),
      rootCAs: stringList.optional(),
      // Traefik's keys the TCP build names in its own warnings (not applied).
      certificates: z.unknown().optional(),
      peerCertSANs: z.unknown().optional(),
      spiffe: z.unknown().optional(),
      peerCertURI: z.unknown().optional(),
    })
    .optional(),
  spiffe: z.unknown().optional(),
});

export const tcpMiddlewareSchema = z
  .looseObject({
    ipAllowList: z.looseObject({ sourceRange: stringList }).optional(),
    inFlightConn: z.looseObject({ amount: integerValue(0) }).optional(),
  })
  .refine((m) => Object.keys(m).length === 1, { message: 'a TCP middleware needs exactly one type' });

export const udpRouterSchema = z.looseObject({
  service: z.string().optional(),
  entryPoints: stringList.optional(),
});

export const udpServiceSchema = z
  .looseObject({
    loadBalancer: z.looseObject({ servers: z.array(z.looseObject({ address: z.string() })).optional() }).optional(),
    weighted: tcpWeightedSchema.optional(),
  })
  .refine((s) => (s.loadBalancer === undefined) !== (s.weighted === undefined), {
    message: 'a UDP service needs exactly one of loadBalancer or weighted',
  });

export type TcpRouterConfig = z.output<typeof tcpRouterSchema>;
export type TcpServiceConfig = z.output<typeof tcpServiceSchema>;
export type TcpServersTransportConfig = z.output<typeof tcpServersTransportSchema>;
export type TcpMiddlewareConfig = z.output<typeof tcpMiddlewareSchema>;
export type UdpRouterConfig = z.output<typeof udpRouterSchema>;
export type UdpServiceConfig = z.output<typeof udpServiceSchema>;

/** The first issue of a failed parse as `key.path: message`, under `prefix`. */
export function firstIssue(prefix: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${prefix}: invalid`;
  const path = issue.path.length > 0 ? `${prefix}.${issue.path.join('.')}` : prefix;
  return `${path}: ${issue.message}`;
}
