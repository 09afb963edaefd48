/**
 * Reads one workload's labels into configuration: picks the prefix (`switchyard.` wins over
 * `traefik.`), decodes the dotted keys into a tree, matches keys case-insensitively against the
 * dynamic-configuration schema and validates each router, service and middleware on its own, so
 * one bad label disables only the object it belongs to. Every fault becomes a ConfigIssue that
 * names the workload and, when known, the label.
 */
import type { ZodType } from 'zod';
import { canonicalizeKeys } from '../../config/canonicalize.js';
import {
  httpSchema,
  middlewareSchema,
  type RouterConfig,
  routerSchema,
  type ServiceConfig,
  serversTransportSchema,
  serviceSchema,
} from '../../config/dynamic-schema.js';
import { decodeLabels } from '../../config/labels.js';
import { normalizeForSchema, unknownKeys } from '../../config/schema-walk.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import { findMiddlewareType } from '../../middlewares/registry.js';
import { emptyStreamLabels, readStreamSection, type StreamLabels } from './read-stream-labels.js';

/** The label prefixes read, in order of precedence. */
export const LABEL_PREFIXES = ['switchyard', 'traefik'] as const;

/** `loadbalancer.server.*`: how the workload itself becomes a server of a service. */
export interface ServerSpec {
  port?: string;
  scheme?: string;
  url?: string;
  weight?: number;
  preservePath?: boolean;
}

/** A service read from labels, with its `server` template kept apart from the validated config. */
export interface LabelService {
  config: ServiceConfig;
  server: ServerSpec;
}

/** What one workload's labels say. */
export interface WorkloadLabels {
  /** The prefix the labels were read under, or undefined when the workload has none. */
  prefix: string | undefined;
  /** The `enable` label, undefined when absent. */
  enable: boolean | undefined;
  /** The `docker.network` label. */
  network: string | undefined;
  routers: Map<string, RouterConfig>;
  services: Map<string, LabelService>;
  middlewares: Map<string, Record<string, unknown>>;
  serversTransports: Map<string, Record<string, unknown>>;
  /** The `tcp.*` labels (read-stream-labels.ts). */
  tcp: StreamLabels;
  /** The `udp.*` labels (routers and services only). */
  udp: StreamLabels;
  /** True when the labels could not be decoded at all; the workload then contributes nothing. */
  broken: boolean;
  issues: ConfigIssue[];
  warnings: string[];
}

function hasPrefix(labels: Record<string, string>, prefix: string): boolean {
  const head = `${prefix}.`;
  return Object.keys(labels).some((key) => key.toLowerCase().startsWith(head));
}

/** Looks a key up case-insensitively in a plain object. */
function getKey(object: Record<string, unknown>, key: string): [string, unknown] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(object)) if (k.toLowerCase() === lower) return [k, v];
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads the labels of the workload `source` describes (`container web-1`, for issues and warnings). */
export function readWorkloadLabels(source: string, labels: Record<string, string>): WorkloadLabels {
  const result: WorkloadLabels = {
    prefix: undefined,
    enable: undefined,
    network: undefined,
    routers: new Map(),
    services: new Map(),
    middlewares: new Map(),
    serversTransports: new Map(),
    tcp: emptyStreamLabels(),
    udp: emptyStreamLabels(),
    broken: false,
    issues: [],
    warnings: [],
  };
  const present = LABEL_PREFIXES.filter((prefix) => hasPrefix(labels, prefix));
  if (present.length === 0) return result;
  const prefix = present[0]!;
  result.prefix = prefix;
  if (present.length > 1) {
    result.warnings.push(
      `${source} has both switchyard.* and traefik.* labels: the switchyard.* labels are used and the traefik.* labels are ignored`,
    );
  }
  const location = source;
  let tree: Record<string, unknown>;
  let origins: Map<string, string>;
  try {
    ({ tree, origins } = decodeLabels(labels, prefix));
  } catch (error) {
    result.broken = true;
    result.issues.push({ path: [], message: (error as Error).message, location, severity: 'error' });
    return result;
  }
  // The label behind a key, or for a section the first label under it: a label is a workload's
  // "position", which every issue names.
  const label = (path: readonly (string | number)[]): string => {
    const key = path.join('.').toLowerCase();
    const origin =
      origins.get(key) ?? [...origins].find(([k]) => k.startsWith(`${key}.`) || k.startsWith(`${key}[`))?.[1];
    return origin === undefined ? '' : ` (label ${origin})`;
  };

  for (const [key, value] of Object.entries(tree)) {
    const lower = key.toLowerCase();
    if (lower === 'enable') {
      const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
      if (text === 'true' || text === 'false') result.enable = text === 'true';
      else {
        result.broken = true;
        result.issues.push({
          path: [],
          message: `the enable label must be true or false, got ${JSON.stringify(value)}${label([key])}`,
          location,
          severity: 'error',
        });
      }
    } else if (lower === 'docker' || lower === 'swarm') {
      // `docker.network` / `swarm.network`; `swarm.lbswarm` is read by the Swarm provider itself.
      const network = isObject(value) ? getKey(value, 'network') : undefined;
      if (network && typeof network[1] === 'string') result.network = network[1];
      // Any other `docker.*` label (Traefik 3.6's `allownonrunning`…) is named, not dropped.
      for (const other of Object.keys(isObject(value) ? value : {})) {
        if (other.toLowerCase() === 'network') continue;
        result.issues.push({
          path: [],
          message: `the label ${prefix}.${key}.${other} is not implemented, ignored${label([key, other])}`,
          location,
          severity: 'warning',
        });
      }
    } else if (lower === 'tcp' || lower === 'udp') {
      readStreamSection(lower, key, value, result[lower], {
        label,
        source,
        broken: () => {
          result.broken = true;
        },
        issue: (path, message, severity) => result.issues.push({ path, message, location, severity }),
      });
    } else if (lower === 'tls') {
      // Shown with the workload's objects (API, `check`), not only logged.
      result.issues.push({
        path: [],
        message: `tls labels are not implemented yet, ignored${label([key])}`,
        location,
        severity: 'warning',
      });
    } else if (lower !== 'http') {
      result.issues.push({
        path: [],
        message: `unknown label section ${prefix}.${key} is ignored${label([key])}`,
        location,
        severity: 'warning',
      });
    }
  }

  const httpEntry = getKey(tree, 'http');
  if (httpEntry === undefined) return result;
  const http = canonicalizeKeys(normalizeForSchema(httpEntry[1], httpSchema), httpSchema);
  if (!isObject(http)) {
    result.issues.push({
      path: ['http'],
      message: `malformed http labels${label([httpEntry[0]])}`,
      location,
      severity: 'error',
    });
    return result;
  }
  const at = (kind: string, objectName: string, rest: readonly (string | number)[] = []) => [
    httpEntry[0],
    kind,
    objectName,
    ...rest,
  ];

  const validate = <T>(kind: string, objectName: string, raw: unknown, schema: ZodType<T>): T | undefined => {
    for (const path of unknownKeys(raw, schema)) {
      result.issues.push({
        path: ['http', kind, objectName, ...path],
        message: `unknown key ${path.join('.')} is ignored${label(at(kind, objectName, path))}`,
        location,
        severity: 'warning',
      });
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const messages = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String);
      const where = field.length > 0 ? `${field.join('.')}: ` : '';
      return `${where}${issue.message}${label(at(kind, objectName, field))}`;
    });
    result.issues.push({ path: ['http', kind, objectName], message: messages.join('; '), location, severity: 'error' });
    return undefined;
  };

  // A definition that is not a section (`traefik.http.services.web=`) cannot be decoded: Traefik
  // drops the whole workload, with an error.
  for (const kind of ['routers', 'services', 'middlewares', 'serversTransports'] as const) {
    for (const [objectName, raw] of Object.entries(asRecord(http[kind]))) {
      if (isObject(raw)) continue;
      result.broken = true;
      result.issues.push({
        path: ['http', kind, objectName],
        message: `${kind}.${objectName} must be a section, got ${JSON.stringify(raw)}${label(at(kind, objectName))}; the ${source} is ignored`,
        location,
        severity: 'error',
      });
    }
  }
  if (result.broken) return result;

  for (const [routerName, raw] of Object.entries(asRecord(http.routers))) {
    const config = validate('routers', routerName, isObject(raw) ? raw : {}, routerSchema);
    if (config) result.routers.set(routerName, config);
  }
  for (const [serviceName, raw] of Object.entries(asRecord(http.services))) {
    const { service, server } = splitServer(isObject(raw) ? raw : {});
    const config = validate('services', serviceName, service, serviceSchema);
    // A server Traefik cannot build (url with port, a bad port) drops the whole workload.
    const spec = readServerSpec(server, (message) => {
      result.broken = true;
      result.issues.push({
        path: ['http', 'services', serviceName],
        message: `${message}${label(at('services', serviceName, ['loadBalancer', 'server']))}; the ${source} is ignored`,
        location,
        severity: 'error',
      });
    });
    if (config && spec) result.services.set(serviceName, { config, server: spec });
  }
  for (const [middlewareName, raw] of Object.entries(asRecord(http.middlewares))) {
    const config = validate('middlewares', middlewareName, canonicalMiddleware(raw), middlewareSchema);
    if (config) result.middlewares.set(middlewareName, config);
  }
  for (const [transportName, raw] of Object.entries(asRecord(http.serversTransports))) {
    const config = validate('serversTransports', transportName, raw, serversTransportSchema);
    if (config) result.serversTransports.set(transportName, config);
  }
  return result;
}

function asRecord(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

/** Takes `loadBalancer.server` out of a service: it describes the workload, not the service. */
function splitServer(service: Record<string, unknown>): { service: Record<string, unknown>; server: unknown } {
  const lb = service.loadBalancer;
  if (!isObject(lb)) return { service, server: undefined };
  const entry = getKey(lb, 'server');
  if (entry === undefined) return { service, server: undefined };
  const rest = { ...lb };
  delete rest[entry[0]];
  return { service: { ...service, loadBalancer: rest }, server: entry[1] };
}

function readServerSpec(raw: unknown, report: (message: string) => void): ServerSpec | undefined {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    report('loadBalancer.server must be a section (e.g. loadbalancer.server.port=3000)');
    return undefined;
  }
  const spec: ServerSpec = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    const text = typeof value === 'string' ? value.trim() : '';
    switch (key.toLowerCase()) {
      case 'port':
        // An empty port is no port, as in Traefik: the workload's own (lowest exposed) port.
        if (text === '') break;
        if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
          report(`loadBalancer.server.port must be a port number (1-65535), got ${JSON.stringify(value)}`);
          ok = false;
        } else spec.port = String(Number(text));
        break;
      case 'scheme':
        if (!/^[a-z][a-z0-9+.-]*$/i.test(text)) {
          report(`loadBalancer.server.scheme must be a URL scheme such as http or https, got ${JSON.stringify(value)}`);
          ok = false;
        } else spec.scheme = text.toLowerCase();
        break;
      case 'url':
        if (!URL.canParse(text)) {
          report(`loadBalancer.server.url must be a URL, got ${JSON.stringify(value)}`);
          ok = false;
        } else spec.url = text;
        break;
      case 'weight':
        if (!/^\d+$/.test(text)) {
          report(`loadBalancer.server.weight must be a non-negative integer, got ${JSON.stringify(value)}`);
          ok = false;
        } else spec.weight = Number(text);
        break;
      case 'preservepath':
        if (!/^(true|false)$/i.test(text)) {
          report(`loadBalancer.server.preservePath must be true or false, got ${JSON.stringify(value)}`);
          ok = false;
        } else spec.preservePath = text.toLowerCase() === 'true';
        break;
      default:
        report(`unknown key loadBalancer.server.${key} (known: port, scheme, url, weight, preservePath)`);
        ok = false;
    }
  }
  if (ok && spec.url !== undefined && (spec.port !== undefined || spec.scheme !== undefined)) {
    report('loadBalancer.server.url cannot be combined with port or scheme');
    ok = false;
  }
  return ok ? spec : undefined;
}

/**
 * Spells the middleware type as the registry does (`stripprefix` → `stripPrefix`) and its option
 * keys as its schema does, so that two replicas whose labels differ only in case define the same
 * middleware. Option values are left to the registry, which validates them when it builds.
 */
function canonicalMiddleware(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [type, options] of Object.entries(raw)) {
    const definition = findMiddlewareType(type);
    // `headers=true` (or an empty value) declares the type with no options.
    const value = options === '' || (typeof options === 'string' && options.toLowerCase() === 'true') ? {} : options;
    if (definition === undefined) out[type] = value;
    else out[definition.type] = canonicalizeKeys(value, definition.schema);
  }
  return out;
}
