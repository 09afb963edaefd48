/**
 * The runtime's object sections whose objects carry their own errors and warnings, in one
 * table: the running process logs them (switchyard.ts), `switchyard check` prints them
 * (cli/check.ts), and the API lists the TCP and UDP ones (api/index.ts). A section added here
 * is reported by all three.
 */
import type { RuntimeConfiguration, RuntimeObject } from './runtime.js';

export interface ObjectSection {
  /** The dynamic configuration's root key (`http`, `tcp`, `udp`). */
  root: 'http' | 'tcp' | 'udp';
  /** The section under it (`routers`, `serversTransports`, …). */
  section: string;
  /** The object kind as a log field names it (`tcpRouter`). */
  field: string;
  /** The object kind as `switchyard check` prints it (`TCP router`). */
  label: string;
  /**
   * The kind the API's pending views show (`router`, `service`, `middleware`) for the TCP and
   * UDP sections Traefik has an endpoint for (`/api/tcp/routers`); absent for the others
   * (HTTP objects have views of their own; Traefik has no `/api/tcp/serversTransports`).
   */
  pendingKind?: 'router' | 'service' | 'middleware';
  /** The section's objects in a runtime configuration. */
  objects: (runtime: RuntimeConfiguration) => Map<string, RuntimeObject<unknown>>;
}

export const OBJECT_SECTIONS: readonly ObjectSection[] = [
  { root: 'http', section: 'routers', field: 'router', label: 'router', objects: (r) => r.routers },
  { root: 'http', section: 'services', field: 'service', label: 'service', objects: (r) => r.services },
  { root: 'http', section: 'middlewares', field: 'middleware', label: 'middleware', objects: (r) => r.middlewares },
  {
    root: 'tcp',
    section: 'routers',
    field: 'tcpRouter',
    label: 'TCP router',
    pendingKind: 'router',
    objects: (r) => r.tcp.routers,
  },
  {
    root: 'tcp',
    section: 'services',
    field: 'tcpService',
    label: 'TCP service',
    pendingKind: 'service',
    objects: (r) => r.tcp.services,
  },
  {
    root: 'tcp',
    section: 'middlewares',
    field: 'tcpMiddleware',
    label: 'TCP middleware',
    pendingKind: 'middleware',
    objects: (r) => r.tcp.middlewares,
  },
  {
    root: 'tcp',
    section: 'serversTransports',
    field: 'tcpServersTransport',
    label: 'TCP servers transport',
    objects: (r) => r.tcp.serversTransports,
  },
  {
    root: 'udp',
    section: 'routers',
    field: 'udpRouter',
    label: 'UDP router',
    pendingKind: 'router',
    objects: (r) => r.udp.routers,
  },
  {
    root: 'udp',
    section: 'services',
    field: 'udpService',
    label: 'UDP service',
    pendingKind: 'service',
    objects: (r) => r.udp.services,
  },
];
