/**
 * Builds the UDP routes from the runtime configuration's `udp` section: per UDP entry point, its
 * one router's service (UDP has no rule: as in Traefik, one router per entry point; with several,
 * the first by name takes the datagrams and the others are warned). Bad objects are disabled with
 * their error; the rest keeps serving.
 */

import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import { parseAddress } from '../config/address.js';
import { firstIssue, udpRouterSchema, udpServiceSchema } from '../config/tcp-schema.js';
import { localName, qualify } from '../core/names.js';
import type { TcpStats } from '../tcp/stats.js';
import type { UdpRoute } from '../udp/proxy.js';
import { UdpLoadBalancer, UdpServer, type UdpService, UdpWeightedService } from '../udp/service.js';
import { BuildOnce } from './build-once.js';
import { canonicalOf } from './build-tcp.js';
import { addError, type RuntimeConfiguration } from './runtime.js';

/** What building the UDP routes needs. */
export interface UdpBuildDeps {
  /** UDP entry points that exist. */
  entryPoints: readonly string[];
  upstreams: UpstreamRegistry;
  stats: TcpStats;
}

/** The route of each UDP entry point, and the server keys used (`udp://host:port`). */
export interface BuiltUdpRoutes {
  routes: Map<string, UdpRoute>;
  usedUrls: Set<string>;
}

/** Builds the UDP routes, recording errors on the runtime objects. */
export function buildUdpRoutes(runtime: RuntimeConfiguration, deps: UdpBuildDeps): BuiltUdpRoutes {
  const usedUrls = new Set<string>();
  const building = new Set<string>();
  const services: BuildOnce<UdpService> = new BuildOnce<UdpService>((name) => {
    const object = runtime.udp.services.get(name);
    if (object === undefined) return new Error(`UDP service "${name}" does not exist`);
    const key = `udp.services.${localName(name)}`;
    const fail = (message: string) => {
      addError(object, message);
      return new Error(`UDP service "${name}" is disabled: ${message}`);
    };
    const parsed = udpServiceSchema.safeParse(canonicalOf(object, udpServiceSchema, key));
    if (!parsed.success) return fail(firstIssue(key, parsed.error));
    if (building.has(name)) return fail(`${key}: reference cycle`);
    building.add(name);
    try {
      const config = parsed.data;
      if (config.weighted !== undefined) {
        const children = (config.weighted.services ?? []).map((child) => ({
          service: services.get(qualify(child.name, object.provider)),
          weight: child.weight ?? 1,
        }));
        if (children.length === 0) return fail(`${key}.weighted.services: no service`);
        return new UdpWeightedService(name, children);
      }
      const servers: UdpServer[] = [];
      for (const [index, server] of (config.loadBalancer?.servers ?? []).entries()) {
        let address: { host?: string; port: number };
        try {
          address = parseAddress(server.address);
        } catch (error) {
          return fail(`${key}.loadBalancer.servers.${index}.address: ${(error as Error).message}`);
        }
        if (address.host === undefined)
          return fail(`${key}.loadBalancer.servers.${index}.address: a server address needs a host`);
        const url = `udp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
        usedUrls.add(url);
        servers.push(new UdpServer(url, address.host, address.port, 1, deps.upstreams.get(url)));
      }
      if (servers.length === 0)
        addError(object, `${key}.loadBalancer.servers: no server, datagrams are dropped`, 'warning');
      return new UdpLoadBalancer(name, servers);
    } catch (error) {
      return fail((error as Error).message);
    } finally {
      building.delete(name);
    }
  });

  const routes = new Map<string, UdpRoute>();
  const taken = new Map<string, string>();
  const routers = [...runtime.udp.routers.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const router of routers) {
    const key = `udp.routers.${localName(router.name)}`;
    const parsed = udpRouterSchema.safeParse(canonicalOf(router, udpRouterSchema, key));
    if (!parsed.success) {
      addError(router, firstIssue(key, parsed.error));
      continue;
    }
    const config = parsed.data;
    if (config.service === undefined) {
      addError(router, `${key}: the service is missing on the udp router`);
      continue;
    }
    let service: UdpService;
    try {
      service = services.get(qualify(config.service, router.provider));
    } catch (error) {
      addError(router, `${key}.service: ${(error as Error).message}`);
      continue;
    }
    const wanted = config.entryPoints ?? deps.entryPoints;
    const using: string[] = [];
    for (const entryPoint of wanted) {
      if (!deps.entryPoints.includes(entryPoint)) {
        addError(router, `${key}.entryPoints: UDP entryPoint "${entryPoint}" doesn't exist`, 'warning');
        continue;
      }
      const first = taken.get(entryPoint);
      if (first !== undefined) {
        addError(
          router,
          `${key}: entry point "${entryPoint}" already has UDP router ${first} (one UDP router per entry point, as in Traefik); ignored there`,
          'warning',
        );
        continue;
      }
      taken.set(entryPoint, router.name);
      using.push(entryPoint);
      routes.set(entryPoint, { router: router.name, service, stats: deps.stats.udpRouter(router.name) });
    }
    if (using.length === 0 && wanted.length > 0 && !router.errors.some((e) => e.includes('already has')))
      addError(router, `${key}: no valid UDP entryPoint for this router`);
  }
  for (const name of runtime.udp.services.keys()) {
    try {
      services.get(name);
    } catch {
      // Recorded on the service.
    }
  }
  return { routes, usedUrls };
}
