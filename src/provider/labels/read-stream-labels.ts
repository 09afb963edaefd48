/**
 * The `tcp.*` and `udp.*` sections of one workload's labels, as Traefik's Docker provider reads
 * them: routers, services (whose `loadbalancer.server.port` / `.tls` describe the workload as a
 * server, kept apart like HTTP's), and for TCP middlewares and servers transports. Keys are
 * matched case-insensitively against the TCP/UDP schemas (`entrypoints`, `tls.certresolver`,
 * `ipallowlist.sourcerange`) and each object is validated on its own: a bad one is left out
 * with an error naming its label, the others stay. Objects are kept as written (canonical keys,
 * label strings): the TCP and UDP table builders validate and compile them again, as they do for
 * every provider.
 */
import type { ZodType } from 'zod';
import { canonicalizeKeys } from '../../config/canonicalize.js';
import { normalizeForSchema, unknownKeys } from '../../config/schema-walk.js';
import {
  tcpMiddlewareSchema,
  tcpRouterSchema,
  tcpServersTransportSchema,
  tcpServiceSchema,
  udpRouterSchema,
  udpServiceSchema,
} from '../../config/tcp-schema.js';

/** `loadbalancer.server.*` of a TCP or UDP service: how the workload itself becomes its server. */
export interface StreamServerSpec {
  port?: string;
  /** TCP only: dial the workload with TLS. */
  tls?: boolean;
}

/** A TCP or UDP service read from labels, its server template apart. */
export interface StreamLabelService {
  config: Record<string, unknown>;
  server: StreamServerSpec;
}

/** What one workload's `tcp.*` or `udp.*` labels define. */
export interface StreamLabels {
  routers: Map<string, Record<string, unknown>>;
  services: Map<string, StreamLabelService>;
  /** TCP only. */
  middlewares: Map<string, Record<string, unknown>>;
  /** TCP only. */
  serversTransports: Map<string, Record<string, unknown>>;
}

/** How the reader reports: an issue at a key path, and which label a path came from. */
export interface StreamLabelContext {
  /** ` (label traefik.tcp.routers.r.rule)` for a path under the section, or ''. */
  label(path: readonly (string | number)[]): string;
  issue(path: string[], message: string, severity: 'error' | 'warning'): void;
  /** The whole workload is unusable (Traefik drops it): a definition that is not a section, a bad server. */
  broken(): void;
  /** `container web-1`, for messages. */
  source: string;
}

type Kind = 'routers' | 'services' | 'middlewares' | 'serversTransports';

const SCHEMAS: Record<'tcp' | 'udp', Partial<Record<Kind, ZodType>>> = {
  tcp: {
    routers: tcpRouterSchema,
    services: tcpServiceSchema,
    middlewares: tcpMiddlewareSchema,
    serversTransports: tcpServersTransportSchema,
  },
  udp: { routers: udpRouterSchema, services: udpServiceSchema },
};

/** An empty result. */
export function emptyStreamLabels(): StreamLabels {
  return { routers: new Map(), services: new Map(), middlewares: new Map(), serversTransports: new Map() };
}

/**
 * Reads the `tcp` or `udp` section (`sectionKey` as written in the labels) into `out`. Unknown
 * kinds and keys are warnings; invalid objects are errors on that object.
 */
export function readStreamSection(
  protocol: 'tcp' | 'udp',
  sectionKey: string,
  raw: unknown,
  out: StreamLabels,
  context: StreamLabelContext,
): void {
  const schemas = SCHEMAS[protocol];
  if (!isObject(raw)) {
    context.broken();
    context.issue([protocol], `malformed ${protocol} labels${context.label([sectionKey])}`, 'error');
    return;
  }
  for (const [kindKey, objects] of Object.entries(raw)) {
    const kind = (Object.keys(schemas) as Kind[]).find((k) => k.toLowerCase() === kindKey.toLowerCase());
    if (kind === undefined) {
      context.issue(
        [protocol],
        `unknown label section ${protocol}.${kindKey} is ignored${context.label([sectionKey, kindKey])}`,
        'warning',
      );
      continue;
    }
    const schema = schemas[kind] as ZodType;
    for (const [name, value] of Object.entries(isObject(objects) ? objects : {})) {
      const at = (rest: readonly (string | number)[] = []) => [sectionKey, kindKey, name, ...rest];
      if (!isObject(value)) {
        // `traefik.tcp.services.db=` is no definition: Traefik drops the whole workload.
        context.broken();
        context.issue(
          [protocol, kind, name],
          `${protocol}.${kind}.${name} must be a section, got ${JSON.stringify(value)}${context.label(at())}; the ${context.source} is ignored`,
          'error',
        );
        continue;
      }
      let definition: Record<string, unknown> = value;
      let server: StreamServerSpec | undefined = {};
      if (kind === 'services') {
        const split = splitServer(value);
        definition = split.service;
        server = readServer(protocol, split.server, (message) => {
          context.broken();
          context.issue(
            [protocol, kind, name],
            `${message}${context.label(at(['loadBalancer', 'server']))}; the ${context.source} is ignored`,
            'error',
          );
        });
        if (server === undefined) continue;
      }
      const canonical = canonicalizeKeys(normalizeForSchema(definition, schema), schema) as Record<string, unknown>;
      for (const path of unknownKeys(canonical, schema)) {
        context.issue(
          [protocol, kind, name, ...path],
          `unknown key ${path.join('.')} is ignored${context.label(at(path))}`,
          'warning',
        );
      }
      const parsed = schema.safeParse(canonical);
      if (!parsed.success) {
        const messages = parsed.error.issues.map((issue) => {
          const field = issue.path.map(String);
          return `${field.length > 0 ? `${field.join('.')}: ` : ''}${issue.message}${context.label(at(field))}`;
        });
        context.issue([protocol, kind, name], messages.join('; '), 'error');
        continue;
      }
      if (kind === 'services') out.services.set(name, { config: canonical, server: server ?? {} });
      else out[kind].set(name, canonical);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Takes `loadBalancer.server` out of a service (any case): it describes the workload, not the service. */
function splitServer(service: Record<string, unknown>): { service: Record<string, unknown>; server: unknown } {
  const lbKey = Object.keys(service).find((k) => k.toLowerCase() === 'loadbalancer');
  const lb = lbKey === undefined ? undefined : service[lbKey];
  if (lbKey === undefined || !isObject(lb)) return { service, server: undefined };
  const serverKey = Object.keys(lb).find((k) => k.toLowerCase() === 'server');
  if (serverKey === undefined) return { service, server: undefined };
  const rest = { ...lb };
  delete rest[serverKey];
  return { service: { ...service, [lbKey]: rest }, server: lb[serverKey] };
}

/** `loadbalancer.server.port` (and `.tls` for TCP); anything else makes the workload unusable, as in Traefik. */
function readServer(
  protocol: 'tcp' | 'udp',
  raw: unknown,
  report: (message: string) => void,
): StreamServerSpec | undefined {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    report('loadBalancer.server must be a section (e.g. loadbalancer.server.port=5432)');
    return undefined;
  }
  const spec: StreamServerSpec = {};
  for (const [key, value] of Object.entries(raw)) {
    const text = typeof value === 'string' ? value.trim() : '';
    const lower = key.toLowerCase();
    if (lower === 'port') {
      if (text === '') continue;
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
        report(`loadBalancer.server.port must be a port number (1-65535), got ${JSON.stringify(value)}`);
        return undefined;
      }
      spec.port = String(Number(text));
    } else if (lower === 'tls' && protocol === 'tcp') {
      if (!/^(true|false)$/i.test(text)) {
        report(`loadBalancer.server.tls must be true or false, got ${JSON.stringify(value)}`);
        return undefined;
      }
      spec.tls = text.toLowerCase() === 'true';
    } else {
      report(`unknown key loadBalancer.server.${key} (known: ${protocol === 'tcp' ? 'port, tls' : 'port'})`);
      return undefined;
    }
  }
  return spec;
}
