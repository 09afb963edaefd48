/**
 * `switchyard explain [--configFile F] [-X METHOD] [-H 'Name: value']… URL`: which router takes
 * this request on which entry point, its middleware chain, service and servers; and for every
 * router of higher priority, why its rule did not match.
 */
import pc from 'picocolors';
import { loadStaticConfiguration } from '../config/static-loader.js';
import { qualify } from '../core/names.js';
import { formatExplanation } from '../rules/index.js';
import { type EntryPointVerdict, explainRequest, parseHeaderArgs } from '../server/explain-request.js';
import { explainConnection } from '../server/explain-tcp.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import { entryPointOptions } from '../server/settings.js';
import { collectConfiguration } from './collect.js';

interface ExplainRequest {
  method: string;
  headers: Record<string, string>;
  url: string;
  remoteAddress: string;
  /** ALPN protocols the connection offers (`--alpn h2`), for TCP routers' ALPN matcher. */
  alpn: string[];
  rest: string[];
}

/** Splits explain's own flags (-X, -H, --from) from the configuration flags. */
function parseExplainArgs(args: string[]): ExplainRequest {
  const request: ExplainRequest = {
    method: 'GET',
    headers: {},
    url: '',
    remoteAddress: '127.0.0.1',
    alpn: [],
    rest: [],
  };
  const headers: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-X' || arg === '--request') request.method = (args[++i] ?? 'GET').toUpperCase();
    else if (arg === '-H' || arg === '--header') headers.push(args[++i] ?? '');
    else if (arg === '--from') request.remoteAddress = args[++i] ?? request.remoteAddress;
    else if (arg === '--alpn') request.alpn.push(...(args[++i] ?? '').split(',').filter((p) => p !== ''));
    else request.rest.push(arg);
  }
  request.headers = parseHeaderArgs(headers);
  return request;
}

/** Explains how a request would be routed; exit code 0 when a router matches, 1 otherwise. */
export async function explainCommand(args: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const request = parseExplainArgs(args);
  const { config, rest, source } = await loadStaticConfiguration({
    args: request.rest,
    env: process.env,
    cwd: process.cwd(),
  });
  const urlText = rest.find((a) => /^[a-z]+:\/\//i.test(a) || a.startsWith('/'));
  if (urlText === undefined) {
    out('usage: switchyard explain [--configFile F] [-X METHOD] [-H "Name: value"]… URL');
    out('       switchyard explain [--configFile F] [--from IP] [--alpn h2] tls://SNI:PORT | tcp://HOST:PORT');
    return 2;
  }
  const files = rest.filter((a) => a !== urlText);
  const collected = await collectConfiguration(config, files, source.path);
  // A file that did not load is missing from what follows: say so first (`check` details it).
  for (const failure of collected.failures) {
    out(`${pc.yellow('!')} not loaded: ${failure.location ?? failure.file}: ${failure.message}`);
  }
  const url = urlText.startsWith('/') ? new URL(urlText, 'http://localhost') : new URL(urlText);
  const tls = url.protocol === 'https:' || url.protocol === 'tls:';
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  const entryPoints = entryPointOptions(config).filter((e) => e.protocol === 'tcp');
  const matching = entryPoints.filter((e) => e.port === port);
  const candidates = matching.length > 0 ? matching : entryPoints;
  if (matching.length === 0) out(pc.dim(`no entry point listens on port ${port}; trying all entry points`));

  // TCP routers see a connection before HTTP does (a ClientHello's SNI, or plaintext).
  const serverName = tls ? url.hostname.replace(/^\[|\]$/g, '').toLowerCase() : '';
  const connection = { tls, serverName, alpn: request.alpn, remoteAddress: request.remoteAddress };
  const tcpVerdicts = explainConnection(
    collected.tcp,
    candidates.map((e) => e.name),
    connection,
  ).filter((v) => v.tried.length > 0);
  if (tcpVerdicts.length > 0 || url.protocol === 'tls:' || url.protocol === 'tcp:') {
    const what = tls
      ? `TLS ClientHello, SNI "${serverName}"${request.alpn.length > 0 ? `, ALPN ${request.alpn.join(',')}` : ''}`
      : 'plaintext connection';
    out(`${pc.bold('TCP')} ${what} from ${request.remoteAddress}`);
    for (const verdict of tcpVerdicts) {
      out(
        `\nentry point ${pc.bold(verdict.entryPoint)} (:${candidates.find((e) => e.name === verdict.entryPoint)?.port})`,
      );
      for (const tried of verdict.tried) {
        const priority = pc.dim(`priority ${tried.priority}`);
        const mode = tried.tls === 'none' ? '' : pc.dim(` tls ${tried.tls}`);
        out(`  ${tried.matched ? pc.green('✔') : pc.red('✖')} ${tried.name} ${priority}${mode}  ${tried.rule}`);
        out(formatExplanation(tried.explanation, '      '));
      }
      if (verdict.router === null) out(`  no TCP router takes it: ${tls ? 'HTTPS' : 'HTTP'} routing follows`);
    }
    if (tcpVerdicts.some((v) => v.router !== null)) return 0;
    if (url.protocol === 'tls:' || url.protocol === 'tcp:') return 1;
    out('');
  }

  const result = explainRequest(
    collected.runtime,
    candidates.map((e) => e.name),
    { method: request.method, url: url.href, headers: request.headers, remoteAddress: request.remoteAddress },
  );
  out(`${pc.bold(request.method)} ${url.href}  ${pc.dim(`(host "${result.host}", path "${result.path}")`)}`);
  for (const verdict of result.entryPoints) {
    const port = candidates.find((e) => e.name === verdict.entryPoint)?.port;
    out(`\nentry point ${pc.bold(verdict.entryPoint)} (:${port})`);
    printVerdict(collected.runtime, verdict, out);
  }
  return result.entryPoints.some((v) => v.router !== null) ? 0 : 1;
}

function printVerdict(runtime: RuntimeConfiguration, verdict: EntryPointVerdict, out: (l: string) => void): void {
  if (verdict.otherConnection.length > 0) {
    const secure = verdict.tls;
    out(
      pc.dim(
        `  ${secure ? 'TLS connection' : 'plaintext connection'}: ${verdict.otherConnection.join(', ')} ${verdict.otherConnection.length === 1 ? 'applies' : 'apply'} only to ${secure ? 'plaintext' : 'TLS (https://)'} connections here`,
      ),
    );
  }
  for (const tried of verdict.tried) {
    const priority = pc.dim(`priority ${tried.priority}`);
    if (!tried.matched) {
      out(`  ${pc.red('✖')} ${tried.name} ${priority}  ${tried.rule}`);
      out(formatExplanation(tried.explanation, '      '));
      continue;
    }
    out(`  ${pc.green('✔')} ${pc.bold(tried.name)} ${priority}  ${tried.rule}`);
    out(`      middlewares: ${verdict.middlewares.length === 0 ? pc.dim('none') : verdict.middlewares.join(' → ')}`);
    if (verdict.service !== null) describeService(runtime, verdict.service, '      ', out, 0);
  }
  if (verdict.router === null) {
    out(`  ${pc.red('no router matches')}: the request would get 404`);
    for (const router of runtime.routers.values()) {
      if (router.status === 'disabled')
        out(`  ${pc.yellow('!')} ${router.name} is disabled: ${router.errors.join('; ')}`);
    }
  }
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
  for (const child of config.weighted?.services ?? config.highestRandomWeight?.services ?? []) {
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
