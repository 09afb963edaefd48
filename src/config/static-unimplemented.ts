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
  return out;
}
