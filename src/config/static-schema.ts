/**
 * The static configuration (entry points, providers, api, log, access log, metrics, ping,
 * servers transport, workers) in Traefik v3's key names, written once: types and defaults come
 * from this schema. Sections that Traefik enables by their mere presence (`api`, `ping`,
 * `accessLog`, `metrics.prometheus`, `providers.docker`, `providers.file`) are optional objects;
 * `--api` alone or an empty `ping:` becomes `{}` before validation (see schema-walk.ts), so the
 * defaults below apply. Durations are in milliseconds.
 */
import { z } from 'zod';
import { certificatesResolversSchema } from './acme-schema.js';
import { parseAddress } from './address.js';
import {
  boolValue,
  countValue,
  durationMs,
  integerValue,
  numberList,
  stringList,
  stringValue,
  wordValue,
} from './value-schemas.js';

/**
 * `entryPoints.<name>.http.maxHeaderBytes` by default: Node's default; Traefik's is Go's 1 MiB.
 * 16 KiB is ample for real requests and bounds what one connection can make the parser hold.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** `entryPoints.<name>.http.maxHeaderCount` by default (Switchyard's own; Apache's `LimitRequestFields`): more request header lines is 431. */
export const DEFAULT_MAX_HEADER_COUNT = 100;

const addressValue = stringValue.superRefine((value, ctx) => {
  try {
    parseAddress(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Encoded characters allowed in request paths (Traefik 3.6 keys; all refused by default). */
const encodedCharactersSchema = z
  .object({
    allowEncodedSlash: boolValue.default(false),
    allowEncodedBackSlash: boolValue.default(false),
    allowEncodedNullCharacter: boolValue.default(false),
    allowEncodedSemicolon: boolValue.default(false),
    allowEncodedPercent: boolValue.default(false),
    allowEncodedQuestionMark: boolValue.default(false),
    allowEncodedHash: boolValue.default(false),
  })
  .prefault({});

/** Traefik's priority of the router an entry point redirection makes (Go's MaxInt − 1, as far as a JS number goes). */
export const REDIRECTION_PRIORITY = Number.MAX_SAFE_INTEGER - 1;

/** `entryPoints.<name>.http.tls`: the TLS routers of the entry point get when they name none. */
const entryPointTlsSchema = z.object({
  options: stringValue.optional(),
  certResolver: stringValue.optional(),
  domains: z.array(z.object({ main: stringValue.optional(), sans: stringList.optional() })).optional(),
});

export const entryPointSchema = z.object({
  address: addressValue,
  http: z
    .object({
      sanitizePath: boolValue.default(true),
      maxHeaderBytes: countValue.default(DEFAULT_MAX_HEADER_BYTES),
      maxHeaderCount: countValue.default(DEFAULT_MAX_HEADER_COUNT),
      encodedCharacters: encodedCharactersSchema,
      /** Middlewares run before every router's own on this entry point (Traefik's entry-point model). */
      middlewares: stringList.default([]),
      /** Default TLS for every router of this entry point (`tls: {}` or `--entryPoints.x.http.tls`). */
      tls: entryPointTlsSchema.optional(),
      redirections: z
        .object({
          entryPoint: z
            .object({
              /** An entry point's name, or a port `:443`. */
              to: stringValue,
              scheme: stringValue.default('https'),
              permanent: boolValue.default(true),
              priority: integerValue().default(REDIRECTION_PRIORITY),
            })
            .optional(),
        })
        .optional(),
    })
    .prefault({}),
  http2: z
    .object({
      /** Streams a client may have open at once on one connection (Traefik's default, Go's). */
      maxConcurrentStreams: countValue.default(250),
      maxDecoderHeaderTableSize: countValue.default(4096),
      maxEncoderHeaderTableSize: countValue.default(4096),
      /** Switchyard's own: serve h2c (prior knowledge) on a plaintext entry point, as Traefik does. */
      h2c: boolValue.default(true),
    })
    .prefault({}),
  forwardedHeaders: z
    .object({
      trustedIPs: stringList.default([]),
      insecure: boolValue.default(false),
    })
    .prefault({}),
  /**
   * Let user routers take ACME challenges: the HTTP-01 answer gets an ordinary priority instead
   * of the highest, the redirection leaves the challenge path alone, and TLS-ALPN-01 handshakes
   * go to TCP routers like any other (Traefik 3.1's key).
   */
  allowACMEByPass: boolValue.default(false),
  /** PROXY protocol (v1 and v2) from the load balancers in front: absent, no header is read. */
  proxyProtocol: z
    .object({
      trustedIPs: stringList.default([]),
      insecure: boolValue.default(false),
    })
    .optional(),
  /** UDP entry points (`address: ":53/udp"`): a session ends after `timeout` without datagrams. */
  udp: z
    .object({
      timeout: durationMs.default(3_000),
    })
    .prefault({}),
  transport: z
    .object({
      respondingTimeouts: z
        .object({
          readTimeout: durationMs.default(60_000),
          writeTimeout: durationMs.default(0),
          idleTimeout: durationMs.default(180_000),
        })
        .prefault({}),
    })
    .prefault({}),
});

export const fileProviderSchema = z
  .object({
    filename: stringValue.optional(),
    directory: stringValue.optional(),
    watch: boolValue.default(true),
    // Logs each templated file as rendered (debug level), as Traefik's option does.
    debugLogGeneratedTemplate: boolValue.default(false),
  })
  .refine((p) => p.filename !== undefined || p.directory !== undefined, {
    message: 'the file provider needs a filename or a directory',
  });

export const dockerProviderSchema = z.object({
  endpoint: stringValue.default('unix:///var/run/docker.sock'),
  exposedByDefault: boolValue.default(true),
  defaultRule: stringValue.default('Host(`{{ normalize .Name }}`)'),
  network: stringValue.optional(),
  watch: boolValue.default(true),
  constraints: stringValue.optional(),
  allowEmptyServices: boolValue.default(false),
  useBindPortIP: boolValue.default(false),
});

/** `providers.swarm` (Traefik v3's Swarm provider; its `tls`, `username`, `password`, `httpClientTimeout` are warned as unsupported). */
export const swarmProviderSchema = z.object({
  endpoint: stringValue.default('unix:///var/run/docker.sock'),
  exposedByDefault: boolValue.default(true),
  defaultRule: stringValue.default('Host(`{{ normalize .Name }}`)'),
  network: stringValue.optional(),
  watch: boolValue.default(true),
  constraints: stringValue.optional(),
  allowEmptyServices: boolValue.default(false),
  useBindPortIP: boolValue.default(false),
  refreshSeconds: durationMs.default(15_000),
});

/** Traefik's client TLS block of a provider (`providers.redis.tls`, `providers.etcd.tls`). */
const providerTlsSchema = z.object({
  ca: stringValue.optional(),
  cert: stringValue.optional(),
  key: stringValue.optional(),
  insecureSkipVerify: boolValue.default(false),
});

/** `providers.redis` (Traefik v3 keys; `sentinel` is parsed so that it can be named in a warning). */
export const redisProviderSchema = z.object({
  endpoints: stringList.default(['127.0.0.1:6379']),
  rootKey: stringValue.default('traefik'),
  username: stringValue.optional(),
  password: stringValue.optional(),
  db: countValue.default(0),
  tls: providerTlsSchema.optional(),
  sentinel: z.record(z.string(), z.unknown()).optional(),
});

/** `providers.etcd` (Traefik v3 keys). */
export const etcdProviderSchema = z.object({
  endpoints: stringList.default(['127.0.0.1:2379']),
  rootKey: stringValue.default('traefik'),
  username: stringValue.optional(),
  password: stringValue.optional(),
  tls: providerTlsSchema.optional(),
});

/** Traefik's REST provider: configuration PUT to `/api/providers/rest` (`rest@internal`). */
export const restProviderSchema = z.object({
  // A router on the `traefik` entry point reaches rest@internal (else route to it yourself).
  insecure: boolValue.default(false),
});

export const providersSchema = z
  .object({
    // No default here: unset, the watcher coalesces bursts over 50 ms (server/watcher.ts) so that
    // scale events reach routing at once; set, it is honoured as Traefik's minimum interval.
    providersThrottleDuration: durationMs.optional(),
    file: fileProviderSchema.optional(),
    docker: dockerProviderSchema.optional(),
    swarm: swarmProviderSchema.optional(),
    redis: redisProviderSchema.optional(),
    etcd: etcdProviderSchema.optional(),
    rest: restProviderSchema.optional(),
  })
  .prefault({});

export const apiSchema = z.object({
  insecure: boolValue.default(false),
  dashboard: boolValue.default(true),
  debug: boolValue.default(false),
  basePath: stringValue.default('/'),
});

export const logSchema = z
  .object({
    level: wordValue(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC']).default('INFO'),
    format: wordValue(['common', 'json']).default('common'),
    filePath: stringValue.optional(),
    /** Traefik's: no colours in readable logs (colours are only ever used on a terminal). */
    noColor: boolValue.default(false),
  })
  .prefault({});

/**
 * Traefik's `global`: Switchyard never checks for new versions nor sends usage data, so `false`
 * is honoured as it is; `true` is reported as not honoured (static-unimplemented.ts).
 */
export const globalSchema = z.object({
  checkNewVersion: boolValue.optional(),
  sendAnonymousUsage: boolValue.optional(),
});

export const accessLogSchema = z.object({
  filePath: stringValue.optional(),
  format: wordValue(['common', 'json']).default('common'),
  bufferingSize: countValue.default(0),
  filters: z
    .object({
      statusCodes: stringList.optional(),
      retryAttempts: boolValue.default(false),
      minDuration: durationMs.default(0),
    })
    .prefault({}),
  fields: z
    .object({
      defaultMode: wordValue(['keep', 'drop', 'redact']).default('keep'),
      names: z.record(z.string(), wordValue(['keep', 'drop', 'redact'])).optional(),
      headers: z
        .object({
          defaultMode: wordValue(['keep', 'drop', 'redact']).default('drop'),
          names: z.record(z.string(), wordValue(['keep', 'drop', 'redact'])).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
});

export const prometheusSchema = z.object({
  entryPoint: stringValue.default('traefik'),
  buckets: numberList.default([0.1, 0.3, 1.2, 5]),
  addEntryPointsLabels: boolValue.default(true),
  addRoutersLabels: boolValue.default(false),
  addServicesLabels: boolValue.default(true),
  manualRouting: boolValue.default(false),
});

export const pingSchema = z.object({
  entryPoint: stringValue.default('traefik'),
  manualRouting: boolValue.default(false),
  terminatingStatusCode: countValue.default(503),
});

export const serversTransportStaticSchema = z
  .object({
    maxIdleConnsPerHost: countValue.default(200),
    insecureSkipVerify: boolValue.default(false),
    /** CA certificates trusted for servers: file paths or inline PEM. */
    rootCAs: stringList.default([]),
    forwardingTimeouts: z
      .object({
        dialTimeout: durationMs.default(30_000),
        responseHeaderTimeout: durationMs.default(0),
        idleConnTimeout: durationMs.default(90_000),
        /**
         * Switchyard's own: the longest silence of a server while its answer is awaited or read
         * (nginx's proxy_read_timeout). 0 restores Traefik's behaviour (wait forever).
         */
        readTimeout: durationMs.default(60_000),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * Traefik's `experimental` section: local plugins run (in JavaScript, docs/plugins.md); remote
 * (Go) plugins are parsed so they can be named in a warning. Other experimental keys are
 * reported as unknown nested keys (warnings) by the loader.
 */
export const experimentalSchema = z
  .object({
    localPlugins: z
      .record(
        z.string(),
        z.object({
          moduleName: stringValue,
          /** Yaegi's settings (envs, mounts, useUnsafe): meaningless for JavaScript, reported. */
          settings: z.unknown().optional(),
        }),
      )
      .default({}),
    plugins: z
      .record(
        z.string(),
        z.object({
          moduleName: stringValue.optional(),
          version: stringValue.optional(),
          settings: z.unknown().optional(),
        }),
      )
      .default({}),
  })
  .prefault({});

const workersValue = z.unknown().transform((value, ctx): number | 'auto' => {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return 'auto';
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
  ctx.addIssue({ code: 'custom', message: `expected a positive integer or "auto", got ${JSON.stringify(value)}` });
  return z.NEVER;
});

export const staticConfigurationSchema = z.object({
  entryPoints: z.record(z.string(), entryPointSchema).default({}),
  providers: providersSchema,
  api: apiSchema.optional(),
  global: globalSchema.optional(),
  log: logSchema,
  accessLog: accessLogSchema.optional(),
  metrics: z.object({ prometheus: prometheusSchema.optional() }).prefault({}),
  ping: pingSchema.optional(),
  serversTransport: serversTransportStaticSchema,
  /** Switchyard's own: data-plane worker processes (`auto` = one per CPU). */
  workers: workersValue.default(1),
  experimental: experimentalSchema,
  /** ACME resolvers by name (acme-schema.ts; acme/ issues and renews their certificates). */
  certificatesResolvers: certificatesResolversSchema.default({}),
});

/**
 * Top-level keys of Traefik's static configuration that Switchyard does not implement: accepted
 * and reported as warnings so that an existing `traefik.yml` still loads.
 */
export const IGNORED_TRAEFIK_KEYS: readonly string[] = [
  'tcpServersTransport',
  'tracing',
  'hostResolver',
  'core',
  'spiffe',
  'ocsp',
];

export type EntryPointConfig = z.output<typeof entryPointSchema>;
export type FileProviderConfig = z.output<typeof fileProviderSchema>;
export type DockerProviderConfig = z.output<typeof dockerProviderSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type LogConfig = z.output<typeof logSchema>;
export type AccessLogConfig = z.output<typeof accessLogSchema>;
export type PrometheusConfig = z.output<typeof prometheusSchema>;
export type PingConfig = z.output<typeof pingSchema>;
export type ExperimentalConfig = z.output<typeof experimentalSchema>;
/** A validated static configuration, defaults applied and Traefik's implicit entry points added. */
export type StaticConfiguration = z.output<typeof staticConfigurationSchema>;
