/**
 * The runtime configuration: every router, service and middleware from every provider, with
 * its qualified name, status and errors. This is what the API shows and what `switchyard
 * check` prints; the routing table is built from it. TCP, UDP and TLS objects have their place
 * here too, qualified like the rest and kept as written: the TCP and UDP builders validate them
 * (build-tcp.ts, build-udp.ts); TLS is reported as not implemented (unimplemented.ts).
 */
import type {
  MiddlewareConfig,
  PendingObjectConfig,
  RouterConfig,
  ServersTransportConfig,
  ServiceConfig,
} from '../config/dynamic-schema.js';

/** Traefik's object statuses. */
export type ObjectStatus = 'enabled' | 'warning' | 'disabled';

/** Fields shared by routers, services and middlewares in the runtime configuration. */
export interface RuntimeObject<C> {
  /** Qualified name, `name@provider`. */
  name: string;
  provider: string;
  /** The validated configuration, or undefined when validation rejected it (see errors). */
  config: C | undefined;
  status: ObjectStatus;
  errors: string[];
  /** Qualified names of the routers (or services) that use this object. */
  usedBy: string[];
  /** Where it was defined (`file.yml:12:5`, `container web-1`), when the provider knows. */
  location?: string;
}

/** A router and where it listens. */
export interface RuntimeRouter extends RuntimeObject<RouterConfig> {
  /** Entry points it is attached to. */
  using: string[];
  /** Effective priority (explicit, or the rule's length). */
  priority: number;
  /** Entry points where it is served on TLS connections (its own `tls`, or the entry point's `http.tls`); on the others, plaintext only. */
  tlsOn?: string[];
}

/** A service; `type` is its kind (loadBalancer, weighted, …). */
export interface RuntimeService extends RuntimeObject<ServiceConfig> {
  type: string | undefined;
}

/** A middleware; `type` is its Traefik type key (stripPrefix, headers, …). */
export interface RuntimeMiddleware extends RuntimeObject<MiddlewareConfig> {
  type: string | undefined;
}

/** A provider-level failure (unparsable file, unreachable daemon). */
export interface ProviderFailure {
  provider: string;
  code: string;
  message: string;
  location?: string;
  since: string;
}

/** A TCP or UDP object, or a TLS option or store, as written (validated when its table is built). */
export type PendingObject = RuntimeObject<PendingObjectConfig>;

/** The `tcp` section's objects by qualified name. */
export interface RuntimeTcp {
  routers: Map<string, PendingObject>;
  services: Map<string, PendingObject>;
  middlewares: Map<string, PendingObject>;
  serversTransports: Map<string, PendingObject>;
}

/** The `udp` section's objects by qualified name. */
export interface RuntimeUdp {
  routers: Map<string, PendingObject>;
  services: Map<string, PendingObject>;
}

/** A TLS certificate entry: a list item, so it has no name, only its provider. */
export interface RuntimeCertificate {
  provider: string;
  config: PendingObjectConfig;
  /** Where it is defined (`dynamic.yml:12:5`), when known. */
  location?: string;
}

/** The `tls` section: certificates (a list), options and stores by qualified name. */
export interface RuntimeTls {
  certificates: RuntimeCertificate[];
  options: Map<string, PendingObject>;
  stores: Map<string, PendingObject>;
}

/**
 * A problem that concerns no single object: an unknown key, a section that is not
 * implemented. Shown in `/api/rawdata` (`issues`), the logs and `switchyard check`.
 */
export interface RuntimeIssue {
  severity: 'error' | 'warning';
  /** The key it is about, dotted (`tls.certificates`, `http.foo`); empty for a whole source. */
  key: string;
  message: string;
  /** The provider whose configuration has it (`file`), or `static` for the static configuration. */
  source: string;
  location?: string;
}

/** All objects by qualified name. */
export interface RuntimeConfiguration {
  /** HTTP routers (`http.routers`); the HTTP maps keep their short names, as they came first. */
  routers: Map<string, RuntimeRouter>;
  services: Map<string, RuntimeService>;
  middlewares: Map<string, RuntimeMiddleware>;
  serversTransports: Map<string, RuntimeObject<ServersTransportConfig>>;
  tcp: RuntimeTcp;
  udp: RuntimeUdp;
  tls: RuntimeTls;
  /** Problems that concern no single object. */
  issues: RuntimeIssue[];
}

/** An empty runtime configuration. */
export function emptyRuntime(): RuntimeConfiguration {
  return {
    routers: new Map(),
    services: new Map(),
    middlewares: new Map(),
    serversTransports: new Map(),
    tcp: { routers: new Map(), services: new Map(), middlewares: new Map(), serversTransports: new Map() },
    udp: { routers: new Map(), services: new Map() },
    tls: { certificates: [], options: new Map(), stores: new Map() },
    issues: [],
  };
}

/** Records an error on an object and lowers its status. */
export function addError(object: RuntimeObject<unknown>, message: string, status: ObjectStatus = 'disabled'): void {
  if (!object.errors.includes(message)) object.errors.push(message);
  if (status === 'disabled' || object.status === 'enabled') object.status = status;
}
