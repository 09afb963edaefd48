/**
 * `switchyard explain [--configFile F] [-X METHOD] [-H 'Name: value']… URL`: which router takes
 * this request on which entry point, its middleware chain, service and servers; and for every
 * router of higher priority, why its rule did not match.
 */
import pc from 'picocolors';
import { loadStaticConfiguration } from '../config/static-loader.js';
import { compileRuleMatcher, explainRule, formatExplanation, type MatchInput, toMatchInput } from '../rules/index.js';
import type { RuntimeConfiguration, RuntimeRouter } from '../server/runtime.js';
import { qualify } from '../server/runtime.js';
import { entryPointOptions } from '../server/settings.js';
import { collectConfiguration } from './collect.js';

interface ExplainRequest {
  method: string;
  headers: Record<string, string>;
  url: string;
  remoteAddress: string;
  rest: string[];
}

/** Splits explain's own flags (-X, -H, --from) from the configuration flags. */
function parseExplainArgs(args: string[]): ExplainRequest {
  const request: ExplainRequest = { method: 'GET', headers: {}, url: '', remoteAddress: '127.0.0.1', rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-X' || arg === '--request') request.method = (args[++i] ?? 'GET').toUpperCase();
    else if (arg === '-H' || arg === '--header') {
      const header = args[++i] ?? '';
      const colon = header.indexOf(':');
      if (colon > 0) request.headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (arg === '--from') request.remoteAddress = args[++i] ?? request.remoteAddress;
    else request.rest.push(arg);
  }
  return request;
}

/** Explains how a request would be routed; exit code 0 when a router matches, 1 otherwise. */
export async function explainCommand(args: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const request = parseExplainArgs(args);
  const { config, rest } = await loadStaticConfiguration({ args: request.rest, env: process.env, cwd: process.cwd() });
  const urlText = rest.find((a) => /^[a-z]+:\/\//i.test(a) || a.startsWith('/'));
  if (urlText === undefined) {
    out('usage: switchyard explain [--configFile F] [-X METHOD] [-H "Name: value"]… URL');
    return 2;
  }
  const files = rest.filter((a) => a !== urlText);
  const collected = await collectConfiguration(config, files);
  const url = urlText.startsWith('/') ? new URL(urlText, 'http://localhost') : new URL(urlText);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const entryPoints = entryPointOptions(config);
  const matching = entryPoints.filter((e) => e.port === port);
  const candidates = matching.length > 0 ? matching : entryPoints;
  if (matching.length === 0) out(pc.dim(`no entry point listens on port ${port}; trying all entry points`));

  const input = toMatchInput({
    method: request.method,
    url: `${url.pathname}${url.search}`,
    headers: { host: url.host, ...request.headers },
    remoteAddress: request.remoteAddress,
  });
  out(`${pc.bold(request.method)} ${url.href}  ${pc.dim(`(host "${input.host}", path "${input.path}")`)}`);
  let found = false;
  for (const entryPoint of candidates) {
    out(`\nentry point ${pc.bold(entryPoint.name)} (:${entryPoint.port})`);
    found = explainEntryPoint(collected.runtime, entryPoint.name, input, out) || found;
  }
  return found ? 0 : 1;
}

function explainEntryPoint(
  runtime: RuntimeConfiguration,
  entryPoint: string,
  input: MatchInput,
  out: (l: string) => void,
): boolean {
  const routers = [...runtime.routers.values()]
    .filter((r) => r.using.includes(entryPoint) && r.status !== 'disabled')
    .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  for (const router of routers) {
    const compiled = compileRuleMatcher(router.config?.rule ?? '');
    const explanation = explainRule(compiled, input);
    if (!explanation.matched) {
      out(`  ${pc.red('✖')} ${router.name} ${pc.dim(`priority ${router.priority}`)}  ${router.config?.rule}`);
      out(formatExplanation(explanation, '      '));
      continue;
    }
    out(`  ${pc.green('✔')} ${pc.bold(router.name)} ${pc.dim(`priority ${router.priority}`)}  ${router.config?.rule}`);
    describeRoute(runtime, router, out);
    return true;
  }
  out(`  ${pc.red('no router matches')}: the request would get 404`);
  const disabled = [...runtime.routers.values()].filter((r) => r.status === 'disabled');
  for (const router of disabled) out(`  ${pc.yellow('!')} ${router.name} is disabled: ${router.errors.join('; ')}`);
  return false;
}

function describeRoute(runtime: RuntimeConfiguration, router: RuntimeRouter, out: (l: string) => void): void {
  const middlewares = (router.config?.middlewares ?? []).map((m) => qualify(m, router.provider));
  out(`      middlewares: ${middlewares.length === 0 ? pc.dim('none') : middlewares.join(' → ')}`);
  const serviceName = qualify(router.config?.service ?? '', router.provider);
  describeService(runtime, serviceName, '      ', out, 0);
}

function describeService(
  runtime: RuntimeConfiguration,
  name: string,
  indent: string,
  out: (l: string) => void,
  depth: number,
): void {
  const service = runtime.services.get(name);
  if (service?.config === undefined) {
    out(`${indent}service: ${name}${name.endsWith('@internal') ? ' (built in)' : pc.red(' (missing)')}`);
    return;
  }
  out(`${indent}service: ${name} (${service.type ?? 'unknown'})`);
  const config = service.config;
  if (config.loadBalancer) {
    for (const server of config.loadBalancer.servers ?? [])
      out(`${indent}  server ${server.url} weight ${server.weight ?? 1}`);
  }
  if (depth > 5) return;
  for (const child of config.weighted?.services ?? []) {
    describeService(runtime, qualify(child.name, service.provider), `${indent}  `, out, depth + 1);
  }
  if (config.failover) {
    describeService(runtime, qualify(config.failover.service, service.provider), `${indent}  main `, out, depth + 1);
    describeService(
      runtime,
      qualify(config.failover.fallback, service.provider),
      `${indent}  fallback `,
      out,
      depth + 1,
    );
  }
}
