/**
 * Static keys that the schema knows (so they validate and have defaults) but that Switchyard
 * does not act on yet: set to anything but their default, each is reported as a warning naming
 * it, never silently ignored. Unknown keys are reported by the loader (static-loader.ts).
 */
import { ACME_DNS_PROVIDERS } from './acme-schema.js';
import type { StaticConfiguration } from './static-schema.js';

/** A known key whose value is not honoured, and why. */
export interface UnhonouredSetting {
  path: string[];
  message: string;
}

/** The settings of `config` that Switchyard parses but does not honour yet. */
export function unhonouredSettings(config: StaticConfiguration): UnhonouredSetting[] {
  const out: UnhonouredSetting[] = [];
  const basePath = config.api?.basePath;
  if (basePath !== undefined && basePath.replace(/\/+$/, '') !== '') {
    out.push({
      path: ['api', 'basePath'],
      message: `a base path is not implemented yet, ignored: the API and dashboard stay at /api and /dashboard/, not under ${JSON.stringify(basePath)}`,
    });
  }
  const global = config.global;
  if (global?.checkNewVersion === true) {
    out.push({ path: ['global', 'checkNewVersion'], message: 'Switchyard does not check for new versions, ignored' });
  }
  if (global?.sendAnonymousUsage === true) {
    out.push({ path: ['global', 'sendAnonymousUsage'], message: 'Switchyard sends no usage data, ignored' });
  }
  if (config.api?.debug === true) {
    out.push({ path: ['api', 'debug'], message: 'the debug endpoints (/debug/…) are not implemented, ignored' });
  }
  const redis = config.providers.redis;
  if (redis?.sentinel !== undefined) {
    out.push({
      path: ['providers', 'redis', 'sentinel'],
      message: 'Redis Sentinel is not implemented yet, ignored: the provider connects to the first endpoint directly',
    });
  }
  if (redis !== undefined && redis.endpoints.length > 1) {
    out.push({
      path: ['providers', 'redis', 'endpoints'],
      message: `only the first endpoint (${redis.endpoints[0]}) is used; Redis Cluster is not implemented yet`,
    });
  }
  for (const [name, entry] of Object.entries(config.entryPoints)) {
    if (entry.http2.maxEncoderHeaderTableSize !== 4096) {
      out.push({
        path: ['entryPoints', name, 'http2', 'maxEncoderHeaderTableSize'],
        message: "Node's HTTP/2 encoder keeps the table size the client's SETTINGS ask for (4096 by default), ignored",
      });
    }
  }
  for (const name of Object.keys(config.experimental.plugins)) {
    out.push({
      path: ['experimental', 'plugins', name],
      message:
        'remote plugins (Go, from the plugin catalogue) cannot run in Switchyard, ignored: write the middleware in JavaScript as a local plugin (experimental.localPlugins, docs/plugins.md)',
    });
  }
  for (const [name, plugin] of Object.entries(config.experimental.localPlugins)) {
    if (plugin.settings !== undefined) {
      out.push({
        path: ['experimental', 'localPlugins', name, 'settings'],
        message: 'Yaegi settings (envs, mounts, useUnsafe) mean nothing to a JavaScript plugin, ignored',
      });
    }
  }
  // lego has 150 DNS providers; Switchyard implements its two generic ones (docs/acme.md).
  for (const [name, { acme }] of Object.entries(config.certificatesResolvers)) {
    const provider = acme.dnsChallenge?.provider;
    if (provider === undefined || (ACME_DNS_PROVIDERS as readonly string[]).includes(provider.trim().toLowerCase()))
      continue;
    out.push({
      path: ['certificatesResolvers', name, 'acme', 'dnsChallenge', 'provider'],
      message: `the DNS provider ${JSON.stringify(provider)} is not implemented (${ACME_DNS_PROVIDERS.join(', ')}): orders of this resolver fail, its routers are served with the default certificate`,
    });
  }
  return out;
}
