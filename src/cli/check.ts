/**
 * `switchyard check [--strict] [--configFile F] [dynamic files…]`: validates the static
 * configuration and the dynamic files, builds the routing table as the proxy would, prints
 * every problem with where it is, and exits non-zero when any is an error. Keys Switchyard does
 * not implement are warnings (printed, exit 0); `--strict` makes any warning fail the check, for
 * CI that must not accept a configuration part of which would be ignored.
 */
import pc from 'picocolors';
import { loadStaticConfiguration } from '../config/static-loader.js';
import { loadLocalPlugins } from '../middlewares/index.js';
import type { RuntimeObject } from '../server/runtime.js';
import { OBJECT_SECTIONS } from '../server/sections.js';
import { collectConfiguration } from './collect.js';

/** Validates configuration; exit code 0 when there is no error (and, with `--strict`, no warning), 1 otherwise. */
export async function checkCommand(argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const strict = argv.includes('--strict');
  const args = argv.filter((arg) => arg !== '--strict');
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
  let errors = 0;
  let warningsCount = 0;
  const report = (error: boolean, line: string) => {
    if (error) errors++;
    else warningsCount++;
    out(`${error ? pc.red('✖') : pc.yellow('!')} ${line}`);
  };
  for (const warning of warnings) report(false, warning);

  // Plugin middlewares are checked against their modules, as the proxy would build them; a
  // module that fails to load shows as the error of each middleware using it.
  const quiet = () => undefined;
  await loadLocalPlugins(config.experimental.localPlugins, process.cwd(), {
    info: quiet,
    warn: quiet,
    error: quiet,
    debug: quiet,
  });
  const collected = await collectConfiguration(config, rest);
  for (const failure of collected.failures) report(true, `${failure.location ?? failure.file}: ${failure.message}`);
  const { runtime } = collected;
  for (const { label: kind, objects } of OBJECT_SECTIONS) {
    for (const object of objects(runtime).values()) {
      if (object.provider === 'internal') continue;
      const where = object.location ? `${object.location}: ` : '';
      for (const message of object.errors)
        report(object.status === 'disabled', `${where}${kind} "${object.name}": ${message}`);
    }
  }
  for (const issue of runtime.issues) {
    const where = issue.location ? `${issue.location}: ` : '';
    report(issue.severity === 'error', `${where}${issue.message}`);
  }
  const count = (map: Map<string, RuntimeObject<unknown>>) =>
    [...map.values()].filter((o) => o.provider !== 'internal').length;
  const pending = count(runtime.tcp.routers) + count(runtime.udp.routers);
  out(
    `${collected.files.length} dynamic file(s): ${count(runtime.routers)} routers, ${count(runtime.services)} services, ${count(runtime.middlewares)} middlewares` +
      `${pending > 0 ? ` (and ${pending} TCP/UDP routers, not implemented yet)` : ''} — ` +
      `${errors === 0 ? pc.green('0 errors') : pc.red(`${errors} error(s)`)}, ${warningsCount} warning(s)` +
      `${strict && errors === 0 && warningsCount > 0 ? pc.red(' (--strict: warnings fail the check)') : ''}`,
  );
  return errors > 0 || (strict && warningsCount > 0) ? 1 : 0;
}
