/**
 * The runtime configuration: every router, service and middleware from every provider, with
 * its qualified name, status and errors. This is what the API shows and what `switchyard
 * check` prints; the routing table is built from it.
 */
import type {
  MiddlewareConfig,
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

/** All objects by qualified name. */
export interface RuntimeConfiguration {
  routers: Map<string, RuntimeRouter>;
  services: Map<string, RuntimeService>;
  middlewares: Map<string, RuntimeMiddleware>;
  serversTransports: Map<string, RuntimeObject<ServersTransportConfig>>;
}

/** Records an error on an object and lowers its status. */
export function addError(object: RuntimeObject<unknown>, message: string, status: ObjectStatus = 'disabled'): void {
  if (!object.errors.includes(message)) object.errors.push(message);
  if (status === 'disabled' || object.status === 'enabled') object.status = status;
}

/** Qualifies a reference made by an object of `provider`: `x` → `x@provider`, `x@p` unchanged. */
export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** The provider part of a qualified name. */
export function providerOf(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at === -1 ? '' : qualified.slice(at + 1);
}
