/**
 * The server URLs a provider's configuration routes to: what a provider compares before and
 * after removing something, to announce the servers that leave (the drainer keys them by URL).
 */
import type { DynamicConfiguration } from '../config/dynamic-schema.js';

/** Every `http.services.*.loadBalancer.servers[].url` of a configuration. */
export function serverUrls(config: DynamicConfiguration): Set<string> {
  const urls = new Set<string>();
  for (const service of Object.values(config.http?.services ?? {})) {
    for (const server of service.loadBalancer?.servers ?? []) if (server.url !== undefined) urls.add(server.url);
  }
  return urls;
}
