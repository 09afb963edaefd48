/// <reference lib="dom" />
/** Shapes of the JSON API (Traefik-compatible) and of the live stream, as far as the dashboard reads them. */

/** Status of a configuration object. */
export type ObjectStatus = 'enabled' | 'warning' | 'disabled';

/** Fields every API object carries. */
export interface ApiObject {
  name: string;
  provider?: string;
  status?: ObjectStatus;
  error?: string[];
  usedBy?: string[];
  [key: string]: unknown;
}

/** `/api/http/routers` items. */
export interface RouterInfo extends ApiObject {
  rule?: string;
  service?: string;
  middlewares?: string[];
  entryPoints?: string[];
  priority?: number;
  using?: string[];
  tls?: unknown;
}

/** `/api/http/services` items. */
export interface ServiceInfo extends ApiObject {
  type?: string;
  loadBalancer?: {
    servers?: Array<{ url?: string; weight?: number }>;
    sticky?: unknown;
    healthCheck?: unknown;
    passHostHeader?: boolean;
  };
  weighted?: { services?: Array<{ name: string; weight?: number }> };
  highestRandomWeight?: { services?: Array<{ name: string; weight?: number }> };
  failover?: { service?: string; fallback?: string };
  mirroring?: { service?: string };
  serverStatus?: Record<string, string>;
}

/** `/api/http/middlewares` items. */
export interface MiddlewareInfo extends ApiObject {
  type?: string;
}

/** `/api/entrypoints` items. */
export interface EntryPointInfo {
  name: string;
  address?: string;
  [key: string]: unknown;
}

/** Counts per kind in `/api/overview`. */
export interface Counts {
  total?: number;
  warnings?: number;
  errors?: number;
}

/** `/api/overview`. */
export interface Overview {
  http?: { routers?: Counts; services?: Counts; middlewares?: Counts };
  features?: Record<string, unknown>;
  providers?: string[];
  failures?: unknown[];
  providerFailures?: unknown[];
  [key: string]: unknown;
}

/** Status classes counted by the proxy (`2xx`, `5xx`, …). */
export type StatusCounts = Record<string, number>;

/** One recent request in the live stream. */
export interface RecentRequest {
  time: number | string;
  method: string;
  host?: string;
  path: string;
  router?: string;
  service?: string;
  server?: string;
  status: number;
  durationMs: number;
  /** TLS version (`TLSv1.3`) for a request that came over TLS. */
  tls?: string;
}

/** Statistics of one server. */
export interface ServerStats {
  service?: string;
  requests?: number;
  rate?: number;
  status?: StatusCounts;
  p50?: number;
  p99?: number;
  inFlight?: number;
  health?: 'UP' | 'DOWN' | string;
}

/** Statistics of one router or service. */
export interface FlowStats {
  requests?: number;
  rate?: number;
  status?: StatusCounts;
  p50?: number;
  p99?: number;
  bytesOut?: number;
  inFlight?: number;
}

/** One `stats` event of `/api/live`, or `/api/stats`. */
export interface LiveStats {
  time: number | string;
  entryPoints?: Record<string, { requests?: number; rate?: number; inFlight?: number }>;
  routers?: Record<string, FlowStats>;
  services?: Record<string, FlowStats>;
  servers?: Record<string, ServerStats>;
  recent?: RecentRequest[];
  history?: unknown;
}

/** `/api/stack`: what the embedded engine runs. */
export interface StackInfo {
  services?: Array<{
    name: string;
    replicas?: number | StackReplica[];
    /** Replicas wanted (what `scale` sets). */
    scale?: number;
    desired?: number;
    /** Replicas ready and in rotation. */
    running?: number;
    command?: string;
    routes?: Array<{ router: string; rule: string }>;
    instances?: StackReplica[];
    [key: string]: unknown;
  }>;
  replicas?: StackReplica[];
  project?: string;
  composeFile?: string;
  skipped?: Array<{ name: string; reason: string }>;
  [key: string]: unknown;
}

/** One replica in `/api/stack`. */
export interface StackReplica {
  id: string;
  service?: string;
  state?: string;
  status?: string;
  url?: string | null;
  address?: string;
  pid?: number | null;
  port?: number | null;
  restarts?: number;
  /** Seconds since the current process started. */
  uptime?: number | null;
  [key: string]: unknown;
}
