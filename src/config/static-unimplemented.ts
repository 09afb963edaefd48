/**
 * Static keys that the schema knows (so they validate and have defaults) but that Switchyard
 * does not act on yet: set to anything but their default, each is reported as a warning naming
 * it, never silently ignored. Unknown keys are reported by the loader (static-loader.ts).
 */
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
  if (config.api?.debug === true) {
    out.push({ path: ['api', 'debug'], message: 'the debug endpoints (/debug/…) are not implemented, ignored' });
  }
  // The ACME resolvers (src/acme/) are built and tested, but the process does not start them
  // until the TLS store of issue #14 can serve their certificates: the merge removes this.
  for (const name of Object.keys(config.certificatesResolvers)) {
    out.push({
      path: ['certificatesResolvers', name],
      message: 'ACME resolvers are not started by the proxy yet (waiting for the TLS store of issue #14), ignored',
    });
  }
  return out;
}
