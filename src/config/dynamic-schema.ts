/**
 * The dynamic configuration (`http.routers`, `http.services`, `http.middlewares`,
 * `http.serversTransports`, and the `tcp`, `udp` and `tls` sections) in Traefik v3's field
 * names. Written once here; the TypeScript types are derived from it. HTTP objects are loose:
 * keys Traefik knows but Switchyard does not use yet (`observability`, …) load, and the
 * unknown-key report (dynamic-validate.ts) names each one as a warning. TCP, UDP and TLS are
 * checked for shape only (objects by name) until their protocols land (issue 12); the build
 * reports each of their objects as not implemented (server/unimplemented.ts).
 * Middleware options are validated by each middleware when it is built (see middlewares/).
 */
import { z } from 'zod';
import { routerTlsSchema } from './tls-schema.js';
import { boolValue, durationMs, integerValue, stringList } from './value-schemas.js';

// Leaf values come from the one module of value schemas (value-schemas.ts), shared with the
// static configuration, so a duration, a flag or a weight means the same everywhere.

/** A Go-style duration (`10s`, `250ms`) or a number of seconds, converted to milliseconds. */
export const durationSchema = durationMs;

export const routerSchema = z.looseObject({
  rule: z.string().optional(),
  service: z.string().optional(),
  middlewares: stringList.optional(),
  entryPoints: stringList.optional(),
  priority: integerValue().optional(),
  ruleSyntax: z.string().optional(),
  /** `tls: {}`, `tls=true` (labels) or its options; `tls=false` is no TLS (tls-schema.ts). */
  tls: routerTlsSchema.optional(),
  // Multi-layer routing (Traefik 3.6): the parent routers this one is matched under.
  parentRefs: stringList.optional(),
});

export const serverSchema = z.looseObject({
  url: z.string(),
  weight: integerValue(0).optional(),
  preservePath: boolValue.optional(),
});

export const stickyCookieSchema = z.looseObject({
  name: z.string().optional(),
  secure: boolValue.optional(),
  httpOnly: boolValue.optional(),
  sameSite: z.string().optional(),
  maxAge: integerValue().optional(),
  path: z.string().optional(),
  domain: z.string().optional(),
});

export const stickySchema = z.looseObject({ cookie: stickyCookieSchema.optional() });

export const healthCheckSchema = z.looseObject({
  path: z.string().optional(),
  scheme: z.string().optional(),
  mode: z.string().optional(),
  hostname: z.string().optional(),
  port: integerValue(1, 65535).optional(),
  interval: durationSchema.optional(),
  unhealthyInterval: durationSchema.optional(),
  timeout: durationSchema.optional(),
  method: z.string().optional(),
  status: integerValue().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  followRedirects: boolValue.optional(),
});

export const passiveHealthCheckSchema = z.looseObject({
  failureWindow: durationSchema.optional(),
  maxFailedAttempts: integerValue().optional(),
});

export const loadBalancerSchema = z.looseObject({
  servers: z.array(serverSchema).optional(),
  strategy: z.string().optional(),
  sticky: stickySchema.optional(),
  healthCheck: healthCheckSchema.optional(),
  passiveHealthCheck: passiveHealthCheckSchema.optional(),
  passHostHeader: boolValue.optional(),
  serversTransport: z.string().optional(),
  responseForwarding: z.looseObject({ flushInterval: durationSchema.optional() }).optional(),
});

export const weightedSchema = z.looseObject({
  services: z.array(z.looseObject({ name: z.string(), weight: integerValue(0).optional() })).optional(),
  sticky: stickySchema.optional(),
  healthCheck: z.looseObject({}).optional(),
});

/** Traefik's `highestRandomWeight` service: child services picked by hashing the client IP. */
export const highestRandomWeightSchema = z.looseObject({
  services: z.array(z.looseObject({ name: z.string(), weight: integerValue(0).optional() })).optional(),
  healthCheck: z.looseObject({}).optional(),
});

export const mirroringSchema = z.looseObject({
  service: z.string(),
  mirrorBody: boolValue.optional(),
  maxBodySize: integerValue().optional(),
  mirrors: z.array(z.looseObject({ name: z.string(), percent: integerValue(0, 100).optional() })).optional(),
  healthCheck: z.looseObject({}).optional(),
});

export const failoverSchema = z.looseObject({
  service: z.string(),
  fallback: z.string(),
  healthCheck: z.looseObject({}).optional(),
});

export const serviceSchema = z
  .looseObject({
    loadBalancer: loadBalancerSchema.optional(),
    weighted: weightedSchema.optional(),
    highestRandomWeight: highestRandomWeightSchema.optional(),
    mirroring: mirroringSchema.optional(),
    failover: failoverSchema.optional(),
  })
  .superRefine((svc, ctx) => {
    const kinds = ['loadBalancer', 'weighted', 'highestRandomWeight', 'mirroring', 'failover'].filter(
      (k) => (svc as Record<string, unknown>)[k] !== undefined,
    );
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a service needs exactly one of loadBalancer, weighted, highestRandomWeight, mirroring, failover'
            : `a service needs exactly one type, got ${kinds.join(' and ')}`,
      });
    }
  });

/** A middleware is an object with exactly one key, its type (`stripPrefix: {…}`). */
export const middlewareSchema = z.record(z.string(), z.unknown()).superRefine((mw, ctx) => {
  const types = Object.keys(mw);
  if (types.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        types.length === 0
          ? 'a middleware needs exactly one type (e.g. stripPrefix)'
          : `a middleware needs exactly one type, got ${types.join(' and ')}`,
    });
  }
});

export const serversTransportSchema = z.looseObject({
  forwardingTimeouts: z
    .looseObject({
      dialTimeout: durationSchema.optional(),
      responseHeaderTimeout: durationSchema.optional(),
      idleConnTimeout: durationSchema.optional(),
      readTimeout: durationSchema.optional(),
    })
    .optional(),
  maxIdleConnsPerHost: integerValue().optional(),
  insecureSkipVerify: boolValue.optional(),
  /** Name checked in servers' certificates and sent as SNI. */
  serverName: z.string().optional(),
  /** CA certificates trusted for servers: file paths or inline PEM. */
  rootCAs: stringList.optional(),
  /** Client certificates for mTLS to servers (file paths or inline PEM); the first is presented. */
  certificates: z.array(z.looseObject({ certFile: z.string(), keyFile: z.string() })).optional(),
  /** Never offer HTTP/2 to `https://` servers. */
  disableHTTP2: boolValue.optional(),
});

export const httpSchema = z.looseObject({
  routers: z.record(z.string(), routerSchema).optional(),
  services: z.record(z.string(), serviceSchema).optional(),
  middlewares: z.record(z.string(), middlewareSchema).optional(),
  serversTransports: z.record(z.string(), serversTransportSchema).optional(),
});

/** A TCP, UDP or TLS object, kept as written: its fields are read once its protocol is implemented. */
export const pendingObjectSchema = z.record(z.string(), z.unknown());

/** Objects by name whose fields are not read yet: only "a mapping of names to mappings" is checked. */
const pendingObjects = z.record(z.string(), pendingObjectSchema);

export const tcpSchema = z.looseObject({
  routers: pendingObjects.optional(),
  services: pendingObjects.optional(),
  middlewares: pendingObjects.optional(),
  serversTransports: pendingObjects.optional(),
});

export const udpSchema = z.looseObject({
  routers: pendingObjects.optional(),
  services: pendingObjects.optional(),
});

export const tlsSchema = z.looseObject({
  certificates: z.array(pendingObjectSchema).optional(),
  options: pendingObjects.optional(),
  stores: pendingObjects.optional(),
});

export const dynamicConfigurationSchema = z.looseObject({
  http: httpSchema.optional(),
  tcp: tcpSchema.optional(),
  udp: udpSchema.optional(),
  tls: tlsSchema.optional(),
});

export type RouterConfig = z.output<typeof routerSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type StickyConfig = z.output<typeof stickySchema>;
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
export type PassiveHealthCheckConfig = z.output<typeof passiveHealthCheckSchema>;
export type LoadBalancerConfig = z.output<typeof loadBalancerSchema>;
export type WeightedConfig = z.output<typeof weightedSchema>;
export type HighestRandomWeightConfig = z.output<typeof highestRandomWeightSchema>;
export type MirroringConfig = z.output<typeof mirroringSchema>;
export type FailoverConfig = z.output<typeof failoverSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type MiddlewareConfig = z.output<typeof middlewareSchema>;
export type ServersTransportConfig = z.output<typeof serversTransportSchema>;
export type HttpConfiguration = z.output<typeof httpSchema>;
/** A TCP, UDP or TLS object as written (not read until its protocol is implemented). */
export type PendingObjectConfig = z.output<typeof pendingObjectSchema>;
/** A validated dynamic configuration, as one provider produced it (names not yet qualified). */
export type DynamicConfiguration = z.output<typeof dynamicConfigurationSchema>;
