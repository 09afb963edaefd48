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
import { acmeConfigurationError } from '../server/acme-wiring.js';
import type { RuntimeConfiguration, RuntimeObject } from '../server/runtime.js';
import { OBJECT_SECTIONS } from '../server/sections.js';
import { collectConfiguration, type FileFailure } from './collect.js';

/** One problem `check` prints: an error fails the check, a warning names what is not honoured. */
export interface CheckFinding {
  severity: 'error' | 'warning';
  /** The line as printed, location first when known. */
  text: string;
}

/**
 * Everything `check` reports about a configuration, in the order it prints it: the static
 * configuration's remarks, files that did not parse, each object's errors and warnings, then the
 * issues about no single object. The compatibility corpus (test/compat) judges cases with it.
 */
export function checkFindings(
  staticWarnings: readonly string[],
  failures: readonly FileFailure[],
  runtime: RuntimeConfiguration,
): CheckFinding[] {
  const findings: CheckFinding[] = staticWarnings.map((text) => ({ severity: 'warning', text }));
  for (const failure of failures) {
    // A parse error's message already starts with its position.
    const where = failure.location ?? failure.file;
    const text = failure.message.startsWith(`${where}:`) ? failure.message : `${where}: ${failure.message}`;
    findings.push({ severity: 'error', text });
  }
  // Messages end with their position for the logs and the API; printed in front, it is said once.
  const once = (location: string | undefined, message: string) =>
    location === undefined ? message : `${location}: ${message.replace(` (${location})`, '')}`;
  for (const { label: kind, objects } of OBJECT_SECTIONS) {
    for (const object of objects(runtime).values()) {
      if (object.provider === 'internal') continue;
      for (const message of object.errors)
        findings.push({
          severity: object.status === 'disabled' ? 'error' : 'warning',
          text: once(object.location, `${kind} "${object.name}": ${message}`),
        });
    }
  }
  for (const issue of runtime.issues)
    findings.push({ severity: issue.severity, text: once(issue.location, issue.message) });
  return findings;
}

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
    const where = e.location && !e.message.startsWith(`${e.location}:`) ? ` (${e.location})` : '';
    out(`${pc.red('✖')} static configuration: ${e.message}${where}`);
    return 1;
  }
  const { config, source, warnings, rest } = loaded;
  // The ACME resolvers as the proxy builds them at start (storage URL, DNS provider settings, CA files).
  const acmeError = await acmeConfigurationError(config);
  if (acmeError !== undefined) {
    const e = acmeError as { message: string; location?: string };
    out(`${pc.red('✖')} static configuration: ${e.location ? `${e.location}: ` : ''}${e.message}`);
    return 1;
  }
  out(
    `${pc.green('✔')} static configuration (${source.path ?? source.kind}): ${Object.keys(config.entryPoints).length} entry points`,
  );
  // Plugin middlewares are checked against their modules, as the proxy would build them; a
  // module that fails to load shows as the error of each middleware using it.
  const quiet = () => undefined;
  await loadLocalPlugins(config.experimental.localPlugins, process.cwd(), {
    info: quiet,
    warn: quiet,
    error: quiet,
    debug: quiet,
  });
  const collected = await collectConfiguration(config, rest, source.path);
  const findings = checkFindings(warnings, collected.failures, collected.runtime);
  let errors = 0;
  let warningsCount = 0;
  for (const finding of findings) {
    if (finding.severity === 'error') errors++;
    else warningsCount++;
    out(`${finding.severity === 'error' ? pc.red('✖') : pc.yellow('!')} ${finding.text}`);
  }
  const { runtime } = collected;
  const count = (map: Map<string, RuntimeObject<unknown>>) =>
    [...map.values()].filter((o) => o.provider !== 'internal').length;
  const tcp = count(runtime.tcp.routers);
  const udp = count(runtime.udp.routers);
  out(
    `${collected.files.length} dynamic file(s): ${count(runtime.routers)} routers, ${count(runtime.services)} services, ${count(runtime.middlewares)} middlewares` +
      `${tcp + udp > 0 ? `, ${tcp} TCP routers, ${udp} UDP routers` : ''} — ` +
      `${errors === 0 ? pc.green('0 errors') : pc.red(`${errors} error(s)`)}, ${warningsCount} warning(s)` +
      `${strict && errors === 0 && warningsCount > 0 ? pc.red(' (--strict: warnings fail the check)') : ''}`,
  );
  return errors > 0 || (strict && warningsCount > 0) ? 1 : 0;
}
