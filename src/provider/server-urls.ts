/**
 * The server URLs a provider's configuration routes to: what a provider compares before and
 * after removing something, to announce the servers that leave (the drainer keys them by URL;
 * TCP and UDP servers as `tcp://host:port` and `udp://host:port`, as their table builders do).
 */
import type { DynamicConfiguration } from '../config/dynamic-schema.js';

/** Every HTTP server URL, and every TCP and UDP server address as its drain key. */
export function serverUrls(config: DynamicConfiguration): Set<string> {
  const urls = new Set<string>();
  for (const service of Object.values(config.http?.services ?? {})) {
    for (const server of service.loadBalancer?.servers ?? []) if (server.url !== undefined) urls.add(server.url);
  }
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const service of Object.values(config[protocol]?.services ?? {})) {
      const servers = (service as { loadBalancer?: { servers?: unknown } }).loadBalancer?.servers;
      if (!Array.isArray(servers)) continue;
      for (const server of servers) {
        const address = (server as { address?: unknown } | null)?.address;
        if (typeof address === 'string' && address !== '') urls.add(`${protocol}://${address}`);
      }
    }
  }
  return urls;
}
