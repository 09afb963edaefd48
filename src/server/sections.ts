/**
 * The dynamic configuration's named sections (objects by name), in one table: merging the
 * providers' configurations (merge.ts), the "not implemented yet" report (unimplemented.ts),
 * the running process's logs (switchyard.ts), `switchyard check` (cli/check.ts) and the API's
 * TCP and UDP lists (api/index.ts) all loop over it. (dynamic-validate.ts keeps its own list,
 * with each section's schema, in the configuration layer.)
 */
import type { RuntimeConfiguration, RuntimeObject } from './runtime.js';

export interface NamedSection {
  /** The dynamic configuration's root key. */
  root: 'http' | 'tcp' | 'udp' | 'tls';
  /** The section under it (`routers`, `serversTransports`, …). */
  section: string;
  /** The object kind as a log field names it (`tcpRouter`). */
  field: string;
  /** The object kind as `switchyard check` prints it (`TCP router`). */
  label: string;
  /**
   * True when each object's errors and warnings are logged and printed by `check` one by one.
   * False for HTTP servers transports (as before).
   */
  listed: boolean;
  /**
   * The kind the API's pending views show, for the TCP and UDP sections Traefik has an endpoint
   * for (`/api/tcp/routers`); absent for the others (Traefik has no `/api/tcp/serversTransports`).
   */
  pendingKind?: 'router' | 'service' | 'middleware';
  /** For a section not implemented yet, its message: `<key>: <what> not implemented yet; <consequence>`. */
  pending?: { what: string; consequence: string };
  /** The section's objects in a runtime configuration. */
  objects: (runtime: RuntimeConfiguration) => Map<string, RuntimeObject<unknown>>;
}

export const NAMED_SECTIONS: readonly NamedSection[] = [
  { root: 'http', section: 'routers', field: 'router', label: 'router', listed: true, objects: (r) => r.routers },
  { root: 'http', section: 'services', field: 'service', label: 'service', listed: true, objects: (r) => r.services },
  {
    root: 'http',
    section: 'middlewares',
    field: 'middleware',
    label: 'middleware',
    listed: true,
    objects: (r) => r.middlewares,
  },
  {
    root: 'http',
    section: 'serversTransports',
    field: 'serversTransport',
    label: 'servers transport',
    listed: false,
    objects: (r) => r.serversTransports,
  },
  {
    root: 'tcp',
    section: 'routers',
    field: 'tcpRouter',
    label: 'TCP router',
    listed: true,
    pendingKind: 'router',
    objects: (r) => r.tcp.routers,
  },
  {
    root: 'tcp',
    section: 'services',
    field: 'tcpService',
    label: 'TCP service',
    listed: true,
    pendingKind: 'service',
    objects: (r) => r.tcp.services,
  },
  {
    root: 'tcp',
    section: 'middlewares',
    field: 'tcpMiddleware',
    label: 'TCP middleware',
    listed: true,
    pendingKind: 'middleware',
    objects: (r) => r.tcp.middlewares,
  },
  {
    root: 'tcp',
    section: 'serversTransports',
    field: 'tcpServersTransport',
    label: 'TCP servers transport',
    listed: true,
    objects: (r) => r.tcp.serversTransports,
  },
  {
    root: 'udp',
    section: 'routers',
    field: 'udpRouter',
    label: 'UDP router',
    listed: true,
    pendingKind: 'router',
    objects: (r) => r.udp.routers,
  },
  {
    root: 'udp',
    section: 'services',
    field: 'udpService',
    label: 'UDP service',
    listed: true,
    pendingKind: 'service',
    objects: (r) => r.udp.services,
  },
  {
    root: 'tls',
    section: 'options',
    field: 'tlsOptions',
    label: 'TLS options',
    listed: true,
    objects: (r) => r.tls.options,
  },
  {
    root: 'tls',
    section: 'stores',
    field: 'tlsStore',
    label: 'TLS store',
    listed: true,
    objects: (r) => r.tls.stores,
  },
];

/** The sections whose objects' errors and warnings are reported one by one (logs, `check`). */
export const OBJECT_SECTIONS: readonly NamedSection[] = NAMED_SECTIONS.filter((s) => s.listed);

/** The table entry of a `[root, section]`, or undefined for one that is not a named section. */
export function namedSection(root: string, section: string): NamedSection | undefined {
  return NAMED_SECTIONS.find((s) => s.root === root && s.section === section);
}
