/**
 * Builds the TCP routing table from the runtime configuration's `tcp` section: each router,
 * service, middleware and servers transport is validated (src/config/tcp-schema.ts) and compiled
 * once; a bad one is disabled with its error (the API, `check`, logs) and the rest keeps routing.
 * Keys Switchyard does not act on are warnings naming them.
 */
import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { HEALTH_DEFAULTS } from '../balancer/health-probe.js';
import { MAX_TCP_PAYLOAD, type TcpProbeSpec } from '../balancer/tcp-probe.js';
import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import { parseAddress } from '../config/address.js';
import { canonicalizeKeys } from '../config/canonicalize.js';
import { normalizeForSchema, unknownKeys } from '../config/schema-walk.js';
import {
  firstIssue,
  type TcpMiddlewareConfig,
  type TcpRouterConfig,
  type TcpServersTransportConfig,
  type TcpServiceConfig,
  tcpMiddlewareSchema,
  tcpRouterSchema,
  tcpServersTransportSchema,
  tcpServiceSchema,
} from '../config/tcp-schema.js';
import type { Logger } from '../core/logger.js';
import { localName, qualify } from '../core/names.js';
import type { TcpHandler, TcpMiddleware } from '../tcp/connection.js';
import { forwardConnection } from '../tcp/forward.js';
import { inFlightConn, ipAllowList } from '../tcp/middlewares.js';
import { compileTcpRule } from '../tcp/rule.js';
import {
  type TcpClientTls,
  TcpLoadBalancer,
  type TcpServer,
  TcpServerCandidate,
  type TcpService,
  type TcpTransport,
  TcpWeightedService,
} from '../tcp/service.js';
import type { TcpStats } from '../tcp/stats.js';
import { type TcpRoute, TcpRoutingTable, type TcpTlsMode } from '../tcp/table.js';
import type { TcpUpstreams } from '../tcp/upstreams.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { type CompiledTlsOptions, defaultTlsOptions } from '../tls/tls-options.js';
import { TlsPolicy } from '../tls/tls-policy.js';
import { BuildOnce } from './build-once.js';
import type { TlsBuild } from './build-tls.js';
import { addError, type PendingObject, type RuntimeConfiguration } from './runtime.js';

/** Traefik's TCP servers transport defaults (`tcpServersTransport`). */
export const DEFAULT_TCP_TRANSPORT: TcpTransport = Object.freeze({
  dialTimeout: 30_000,
  terminationDelay: 100,
  proxyProtocol: null,
  tls: null,
});

/** What building the TCP table needs. */
export interface TcpBuildDeps {
  /** TCP entry points that exist (UDP ones excluded). */
  entryPoints: readonly string[];
  defaultEntryPoints: readonly string[];
  upstreams: UpstreamRegistry;
  connections: TcpUpstreams;
  stats: TcpStats;
  logger: Logger;
  /**
   * What routers that terminate TLS (`tls` without `passthrough`) use: this configuration's
   * compiled `tls.options` (the HTTP table build's), the process's certificate store (a
   * throwaway one when absent: `check`, `explain`) and the resolver names `tls.certResolver` may
   * name.
   */
  tls?: TcpTlsDeps;
}

/** The TLS side a terminating TCP router is built with. */
export interface TcpTlsDeps {
  readonly build: TlsBuild;
  readonly certificates: CertificateStore;
  readonly certResolvers: ReadonlySet<string>;
}

/** The TCP table and the server keys it uses (`tcp://host:port`, kept out of draining). */
export interface BuiltTcpTable {
  table: TcpRoutingTable;
  usedUrls: Set<string>;
  /** `loadBalancer.healthCheck` probes by server key, for the HealthChecker (with the HTTP ones). */
  healthChecks: Map<string, TcpProbeSpec>;
}

/** Builds the TCP routing table, recording errors on the runtime objects. */
export function buildTcpTable(runtime: RuntimeConfiguration, deps: TcpBuildDeps): BuiltTcpTable {
  const builder = new TcpBuilder(runtime, deps);
  const routes = new Map<string, TcpRoute[]>();
  for (const name of deps.entryPoints) routes.set(name, []);
  for (const router of runtime.tcp.routers.values()) {
    const built = builder.route(router);
    if (built === undefined) continue;
    for (const entryPoint of built.entryPoints) routes.get(entryPoint)?.push(built.route);
  }
  for (const name of runtime.tcp.services.keys()) builder.tryService(name);
  for (const name of runtime.tcp.middlewares.keys()) builder.tryMiddleware(name);
  for (const name of runtime.tcp.serversTransports.keys()) builder.tryTransport(name);
  return { table: new TcpRoutingTable(routes), usedUrls: builder.usedUrls, healthChecks: builder.healthChecks };
}

/**
 * One server's TCP health check (Traefik's defaults: every 30 s, 5 s timeout; `port` replaces the
 * server's; dialled like the service's connections, with TLS when they are). A `send` or `expect`
 * over Traefik's 64 KiB limit falls back as Traefik's does (connect only, or no answer awaited),
 * with a warning; a non-positive interval or timeout is an error on the service.
 */
function tcpProbeOf(
  config: NonNullable<NonNullable<TcpServiceConfig['loadBalancer']>['healthCheck']>,
  server: TcpServer,
  transport: TcpTransport,
  key: string,
  warn: (message: string) => void,
): TcpProbeSpec {
  const interval = config.interval ?? HEALTH_DEFAULTS.interval;
  if (interval <= 0) throw new Error(`${key}.interval: must be positive`);
  const unhealthyInterval = config.unhealthyInterval ?? interval;
  if (unhealthyInterval <= 0) throw new Error(`${key}.unhealthyInterval: must be positive`);
  const timeout = config.timeout ?? HEALTH_DEFAULTS.timeout;
  if (timeout <= 0) throw new Error(`${key}.timeout: must be positive`);
  let send = config.send ?? '';
  if (Buffer.byteLength(send) > MAX_TCP_PAYLOAD) {
    warn(`${key}.send: longer than ${MAX_TCP_PAYLOAD} bytes; the check only connects (as Traefik does)`);
    send = '';
  }
  let expect = config.expect ?? '';
  if (Buffer.byteLength(expect) > MAX_TCP_PAYLOAD) {
    warn(`${key}.expect: longer than ${MAX_TCP_PAYLOAD} bytes; no answer is awaited (as Traefik does)`);
    expect = '';
  }
  const tls = transport.tls;
  const useTls = server.tls || tls !== null;
  return {
    kind: 'tcp',
    host: server.host,
    port: config.port ?? server.port,
    tls: useTls
      ? {
          ...(tls?.serverName === undefined ? {} : { serverName: tls.serverName }),
          insecureSkipVerify: tls?.insecureSkipVerify ?? false,
          ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
        }
      : null,
    send,
    expect,
    timeout,
    interval,
    unhealthyInterval,
  };
}

/**
 * An object's configuration with its keys spelled as the schema does (Traefik reads keys in any
 * case: `entrypoints`, `loadbalancer`, KV's lower-case paths) and its shapes normalised (`tls:`
 * or `tls=true` as an empty section, index-keyed lists); keys the schema does not know are
 * warnings naming them (`unknown`: false for middlewares, whose unknown type is an error).
 */
export function canonicalOf(
  object: PendingObject,
  schema: ZodType,
  key: string,
  unknown = true,
): Record<string, unknown> {
  const written = canonicalizeKeys(normalizeForSchema(object.config ?? {}, schema), schema);
  const config = written !== null && typeof written === 'object' && !Array.isArray(written) ? written : {};
  if (unknown)
    for (const path of unknownKeys(config, schema))
      addError(object, `${key}.${path.join('.')}: unknown key, ignored`, 'warning');
  return config as Record<string, unknown>;
}

/** Whether a router's `tls` asks for TLS (`tls: {}`, an empty `tls:`, `tls=true`); `false` does not. */
function tlsMode(tls: TcpRouterConfig['tls'], raw: unknown): TcpTlsMode {
  if (raw === undefined || tls === false) return 'none';
  if (tls !== null && typeof tls === 'object' && tls.passthrough === true) return 'passthrough';
  return 'terminate';
}

class TcpBuilder {
  readonly usedUrls = new Set<string>();
  /** Active health checks by server key (`tcp://host:port`), for the HealthChecker. */
  readonly healthChecks = new Map<string, TcpProbeSpec>();
  private readonly services = new BuildOnce<TcpService>((name) => this.buildService(name));
  private readonly middlewares = new BuildOnce<TcpMiddleware>((name) => this.buildMiddleware(name));
  private readonly transports = new BuildOnce<TcpTransport>((name) => this.buildTransport(name));
  private readonly building = new Set<string>();
  private readonly policies = new Map<CompiledTlsOptions, TlsPolicy>();
  private fallbackTls: TcpTlsDeps | null = null;

  constructor(
    private readonly runtime: RuntimeConfiguration,
    private readonly deps: TcpBuildDeps,
  ) {}

  route(router: PendingObject): { route: TcpRoute; entryPoints: string[] } | undefined {
    const key = `tcp.routers.${localName(router.name)}`;
    const written = canonicalOf(router, tcpRouterSchema, key);
    const parsed = tcpRouterSchema.safeParse(written);
    if (!parsed.success) {
      addError(router, firstIssue(key, parsed.error));
      return undefined;
    }
    const config = parsed.data;
    const entryPoints: string[] = [];
    for (const entryPoint of config.entryPoints ?? this.deps.defaultEntryPoints) {
      if (this.deps.entryPoints.includes(entryPoint)) entryPoints.push(entryPoint);
      else addError(router, `${key}.entryPoints: entryPoint "${entryPoint}" doesn't exist`, 'warning');
    }
    if (entryPoints.length === 0) {
      addError(router, `${key}: no valid entryPoint for this router`);
      return undefined;
    }
    if (config.ruleSyntax !== undefined && config.ruleSyntax !== 'v3')
      addError(router, `${key}.ruleSyntax: only the v3 rule syntax is implemented; the rule is read as v3`, 'warning');
    if (config.rule === undefined || config.rule.trim() === '') {
      addError(router, `${key}.rule: the router has no rule`);
      return undefined;
    }
    let rule: ReturnType<typeof compileTcpRule>;
    try {
      rule = compileTcpRule(config.rule);
    } catch (error) {
      addError(router, `${key}.rule: ${(error as Error).message}`);
      return undefined;
    }
    const tls = tlsMode(config.tls, written.tls);
    if (tls === 'none' && rule.needsTls) {
      addError(
        router,
        `${key}.rule: HostSNI with a name, HostSNIRegexp and ALPN need TLS: add a tls section (passthrough: true to forward it untouched)`,
      );
      return undefined;
    }
    let tlsPolicy: TlsPolicy | null = null;
    if (tls === 'terminate') {
      const policy = this.terminationPolicy(router, key, config.tls);
      if (policy instanceof Error) {
        addError(router, policy.message);
        return undefined;
      }
      tlsPolicy = policy;
    }
    if (config.service === undefined) {
      addError(router, `${key}: the router has no service`);
      return undefined;
    }
    let handler: TcpHandler;
    try {
      const service = this.services.get(qualify(config.service, router.provider));
      const deps = { stats: this.deps.stats, upstreams: this.deps.connections, logger: this.deps.logger };
      handler = (connection) => forwardConnection(connection, service, deps);
    } catch (error) {
      addError(router, `${key}.service: ${(error as Error).message}`);
      return undefined;
    }
    const wrappers: TcpMiddleware[] = [];
    for (const reference of config.middlewares ?? []) {
      try {
        wrappers.push(this.middlewares.get(qualify(reference, router.provider)));
      } catch (error) {
        addError(router, `${key}.middlewares: ${(error as Error).message}`);
        return undefined;
      }
    }
    for (let i = wrappers.length - 1; i >= 0; i--) handler = (wrappers[i] as TcpMiddleware)(handler);
    const priority = config.priority !== undefined && config.priority !== 0 ? config.priority : config.rule.length;
    return { route: { name: router.name, priority, rule, tls, tlsPolicy, handler }, entryPoints };
  }

  /**
   * A terminating router's handshakes: its `tls.options` (qualified; `default` or none: the
   * configuration's defaults) for every server name, with the process's certificates. One
   * policy per options object, shared by the routers naming it.
   */
  private terminationPolicy(router: PendingObject, key: string, tls: TcpRouterConfig['tls']): TlsPolicy | Error {
    const section = typeof tls === 'object' && tls !== null ? tls : {};
    const deps = this.tlsDeps;
    if (section.certResolver !== undefined && section.certResolver !== '') {
      if (!deps.certResolvers.has(section.certResolver))
        return new Error(`${key}.tls.certResolver: the certificate resolver "${section.certResolver}" does not exist`);
      // The resolver orders `tls.domains`, else the rule's HostSNI names (acme-wiring.ts); the
      // certificates reach this policy through the shared store.
    }
    const named = section.options;
    let options = deps.build.defaults;
    if (named !== undefined && named !== '' && named !== 'default') {
      const qualified = qualify(named, router.provider);
      const found = deps.build.options.get(qualified);
      if (found === undefined) return new Error(`${key}.tls.options: unknown TLS options: ${qualified}`);
      options = found;
    }
    let policy = this.policies.get(options);
    if (policy === undefined) {
      policy = new TlsPolicy(deps.certificates, options, new Map());
      this.policies.set(options, policy);
    }
    return policy;
  }

  private get tlsDeps(): TcpTlsDeps {
    if (this.deps.tls !== undefined) return this.deps.tls;
    if (this.fallbackTls === null) {
      const defaults = defaultTlsOptions();
      this.fallbackTls = {
        build: { options: new Map([['default', defaults]]), defaults },
        certificates: new CertificateStore(),
        certResolvers: new Set(),
      };
    }
    return this.fallbackTls;
  }

  tryService(name: string): void {
    try {
      this.services.get(name);
    } catch {
      // Recorded on the service.
    }
  }

  tryMiddleware(name: string): void {
    try {
      this.middlewares.get(name);
    } catch {
      // Recorded on the middleware.
    }
  }

  tryTransport(name: string): void {
    try {
      this.transports.get(name);
    } catch {
      // Recorded on the transport.
    }
  }

  private buildService(name: string): TcpService | Error {
    const object = this.runtime.tcp.services.get(name);
    if (object === undefined) return new Error(`TCP service "${name}" does not exist`);
    const key = `tcp.services.${localName(name)}`;
    if (this.building.has(name)) return new Error(`TCP service reference cycle through "${name}"`);
    const parsed = tcpServiceSchema.safeParse(canonicalOf(object, tcpServiceSchema, key));
    if (!parsed.success) return this.fail(object, firstIssue(key, parsed.error), name);
    this.building.add(name);
    try {
      return this.serviceOf(object, name, key, parsed.data);
    } catch (error) {
      return this.fail(object, (error as Error).message, name);
    } finally {
      this.building.delete(name);
    }
  }

  private serviceOf(object: PendingObject, name: string, key: string, config: TcpServiceConfig): TcpService {
    if (config.weighted !== undefined) {
      const children = (config.weighted.services ?? []).map((child, index) => {
        try {
          return { service: this.services.get(qualify(child.name, object.provider)), weight: child.weight ?? 1 };
        } catch (error) {
          throw new Error(`${key}.weighted.services.${index}: ${(error as Error).message}`);
        }
      });
      if (children.length === 0) throw new Error(`${key}.weighted.services: no service`);
      return new TcpWeightedService(name, children);
    }
    const lb = config.loadBalancer ?? {};
    let transport = DEFAULT_TCP_TRANSPORT;
    if (lb.serversTransport !== undefined) {
      try {
        transport = this.transports.get(qualify(lb.serversTransport, object.provider));
      } catch (error) {
        throw new Error(`${key}.loadBalancer.serversTransport: ${(error as Error).message}`);
      }
    }
    // Traefik 3.0–3.2 keys on the load balancer itself override the transport's.
    if (lb.proxyProtocol !== undefined)
      transport = { ...transport, proxyProtocol: (lb.proxyProtocol.version ?? 2) as 1 | 2 };
    if (lb.terminationDelay !== undefined) transport = { ...transport, terminationDelay: lb.terminationDelay };
    const servers: TcpServer[] = (lb.servers ?? []).map((server, index) => {
      let address: { host?: string; port: number };
      try {
        address = parseAddress(server.address);
      } catch (error) {
        throw new Error(`${key}.loadBalancer.servers.${index}.address: ${(error as Error).message}`);
      }
      if (address.host === undefined)
        throw new Error(
          `${key}.loadBalancer.servers.${index}.address: a server address needs a host ("${server.address}")`,
        );
      const url = `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      this.usedUrls.add(url);
      return new TcpServerCandidate(
        url,
        address.host,
        address.port,
        server.weight ?? 1,
        server.tls === true,
        this.deps.upstreams.get(url),
      );
    });
    if (servers.length === 0)
      addError(object, `${key}.loadBalancer.servers: no server, connections are closed`, 'warning');
    if (lb.healthCheck !== undefined) {
      for (const server of servers) {
        const spec = tcpProbeOf(lb.healthCheck, server, transport, `${key}.loadBalancer.healthCheck`, (message) =>
          addError(object, message, 'warning'),
        );
        if (!this.healthChecks.has(server.key)) this.healthChecks.set(server.key, spec);
      }
    }
    return new TcpLoadBalancer(name, servers, transport);
  }

  private buildMiddleware(name: string): TcpMiddleware | Error {
    const object = this.runtime.tcp.middlewares.get(name);
    if (object === undefined) return new Error(`TCP middleware "${name}" does not exist`);
    const key = `tcp.middlewares.${localName(name)}`;
    const written = canonicalOf(object, tcpMiddlewareSchema, key, false);
    const parsed = tcpMiddlewareSchema.safeParse(written);
    if (!parsed.success) return this.fail(object, firstIssue(key, parsed.error), name, 'middleware');
    const config: TcpMiddlewareConfig = parsed.data;
    const log = this.deps.logger;
    try {
      if (config.ipAllowList !== undefined) {
        return ipAllowList(config.ipAllowList.sourceRange, (client) =>
          log.debug({ middleware: name, client }, 'TCP connection refused by ipAllowList'),
        );
      }
      if (config.inFlightConn !== undefined) {
        return inFlightConn(config.inFlightConn.amount, (client) =>
          log.debug({ middleware: name, client }, 'TCP connection refused by inFlightConn'),
        );
      }
    } catch (error) {
      return this.fail(object, `${key}.${(error as Error).message}`, name, 'middleware');
    }
    const type = Object.keys(written)[0] ?? '';
    return this.fail(
      object,
      `${key}.${type}: unknown TCP middleware type (supported: ipAllowList, inFlightConn)`,
      name,
      'middleware',
    );
  }

  private buildTransport(name: string): TcpTransport | Error {
    const object = this.runtime.tcp.serversTransports.get(name);
    if (object === undefined) return new Error(`TCP servers transport "${name}" does not exist`);
    const key = `tcp.serversTransports.${localName(name)}`;
    const written = canonicalOf(object, tcpServersTransportSchema, key);
    const parsed = tcpServersTransportSchema.safeParse(written);
    if (!parsed.success) return this.fail(object, firstIssue(key, parsed.error), name, 'servers transport');
    const config: TcpServersTransportConfig = parsed.data;
    const raw = written;
    let tls: TcpClientTls | null = null;
    if (raw.tls !== undefined) {
      const rawTls = (raw.tls ?? {}) as Record<string, unknown>;
      for (const unread of ['certificates', 'peerCertSANs', 'spiffe', 'peerCertURI'])
        if (rawTls[unread] !== undefined)
          addError(object, `${key}.tls.${unread}: not implemented for TCP yet, ignored`, 'warning');
      let ca: string[] | undefined;
      try {
        ca = config.tls?.rootCAs?.map((entry) => (entry.includes('-----BEGIN') ? entry : readFileSync(entry, 'utf8')));
      } catch (error) {
        return this.fail(object, `${key}.tls.rootCAs: ${(error as Error).message}`, name, 'servers transport');
      }
      tls = { serverName: config.tls?.serverName, insecureSkipVerify: config.tls?.insecureSkipVerify === true, ca };
    }
    if (raw.spiffe !== undefined) addError(object, `${key}.spiffe: not implemented, ignored`, 'warning');
    if (raw.dialKeepAlive !== undefined)
      addError(object, `${key}.dialKeepAlive: not implemented yet, ignored (no TCP keep-alive probes)`, 'warning');
    return {
      dialTimeout: config.dialTimeout ?? DEFAULT_TCP_TRANSPORT.dialTimeout,
      terminationDelay: config.terminationDelay ?? DEFAULT_TCP_TRANSPORT.terminationDelay,
      proxyProtocol: raw.proxyProtocol === undefined ? null : ((config.proxyProtocol?.version ?? 2) as 1 | 2),
      tls,
    };
  }

  private fail(object: PendingObject, message: string, name: string, kind = 'service'): Error {
    addError(object, message);
    return new Error(`TCP ${kind} "${name}" is disabled: ${message}`);
  }
}
