/**
 * `switchyard check [--configFile F] [dynamic files…]`: validates the static configuration and
 * the dynamic files, builds the routing table as the proxy would, prints every problem with
 * where it is, and exits non-zero when any is an error.
 */
import pc from 'picocolors';
import { loadStaticConfiguration } from '../config/static-loader.js';
import type { RuntimeObject } from '../server/runtime.js';
import { collectConfiguration } from './collect.js';

/** Validates configuration; exit code 0 when there is no error, 1 otherwise. */
export async function checkCommand(args: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let loaded: Awaited<ReturnType<typeof loadStaticConfiguration>>;
  try {
    loaded = await loadStaticConfiguration({ args, env: process.env, cwd: process.cwd() });
  } catch (error) {
    const e = error as { message: string; location?: string; code?: string };
    out(`${pc.red('✖')} static configuration: ${e.message}${e.location ? ` (${e.location})` : ''}`);
    return 1;
  }
  const { config, source, warnings, rest } = loaded;
  out(
    `${pc.green('✔')} static configuration (${source.path ?? source.kind}): ${Object.keys(config.entryPoints).length} entry points`,
  );
  for (const warning of warnings) out(`${pc.yellow('!')} ${warning}`);

  const collected = await collectConfiguration(config, rest);
  let errors = 0;
  let warningsCount = 0;
  for (const failure of collected.failures) {
    errors++;
    out(`${pc.red('✖')} ${failure.location ?? failure.file}: ${failure.message}`);
  }
  const kinds = [
    ['router', collected.runtime.routers],
    ['service', collected.runtime.services],
    ['middleware', collected.runtime.middlewares],
  ] as const;
  for (const [kind, objects] of kinds) {
    for (const object of objects.values() as IterableIterator<RuntimeObject<unknown>>) {
      if (object.provider === 'internal') continue;
      for (const message of object.errors) {
        const where = object.location ? `${object.location}: ` : '';
        if (object.status === 'disabled') {
          errors++;
          out(`${pc.red('✖')} ${where}${kind} "${object.name}": ${message}`);
        } else {
          warningsCount++;
          out(`${pc.yellow('!')} ${where}${kind} "${object.name}": ${message}`);
        }
      }
    }
  }
  const count = (map: Map<string, RuntimeObject<unknown>>) =>
    [...map.values()].filter((o) => o.provider !== 'internal').length;
  out(
    `${collected.files.length} dynamic file(s): ${count(collected.runtime.routers)} routers, ${count(collected.runtime.services)} services, ${count(collected.runtime.middlewares)} middlewares — ` +
      `${errors === 0 ? pc.green('0 errors') : pc.red(`${errors} error(s)`)}, ${warningsCount} warning(s)`,
  );
  return errors === 0 ? 0 : 1;
}
