/**
 * `switchyard up`: the seed's whole infrastructure with one command and no Docker. Reads a
 * compose file, runs the services that have an `x-switchyard` extension as supervised local
 * processes (the process provider), and runs the router itself configured from the router
 * service's `command` flags, then prints where everything is.
 *
 *   switchyard up [-f FILE] [--scale SERVICE=N]… [--port-web N] [--port-dashboard N] [--host ADDRESS]
 *                 [--api-allowed-hosts NAMES] [--dotted.flags…]
 *
 * `up` runs on a developer's machine, where its API can stop and scale processes: it listens on
 * 127.0.0.1 unless told otherwise, and its API and dashboard answer local host names only.
 */

import { resolve } from 'node:path';
import { LOCAL_HOSTS } from '../api/index.js';
import { registerStackApi } from '../api/stack-api.js';
import { parseAddress } from '../config/address.js';
import type { StaticConfiguration } from '../config/static-loader.js';
import { loadStaticConfiguration } from '../config/static-loader.js';
import { installLastResort } from '../core/last-resort.js';
import { ConfigError, ListenError } from '../errors.js';
import { createLogger } from '../logger.js';
import { messageLogger } from '../provider/index.js';
import { formatBanner } from '../provider/process/banner.js';
import { loadComposeProject, ProcessProvider } from '../provider/process/index.js';
import { assembleSwitchyard } from '../server/create.js';
import type { Switchyard } from '../server/switchyard.js';
import { untilSignal } from './run.js';

/** How long `up` waits for every replica before printing the banner anyway. */
const READY_TIMEOUT_MS = 15_000;
/** The router's flags when the compose file has no router service. */
const DEFAULT_ROUTER_FLAGS = ['--api.insecure=true', '--entryPoints.web.address=:8000'];
/** Where entry points without an interface in their address listen: this machine only. */
const DEFAULT_HOST = '127.0.0.1';
/** `--host` values that mean every interface. */
const EVERY_INTERFACE = new Set(['0.0.0.0', '::']);

/** The options of `up` itself; anything else is a static-configuration flag. */
export interface UpOptions {
  file: string | undefined;
  scale: Record<string, number>;
  portWeb: number | undefined;
  portDashboard: number | undefined;
  /** Interface for entry points whose address names none (default 127.0.0.1). */
  host: string | undefined;
  /** Host names the API and dashboard answer to, besides the local ones. */
  apiAllowedHosts: string[];
  flags: string[];
  help: boolean;
}

const USAGE = `Usage: switchyard up [-f FILE] [--scale SERVICE=N]... [--port-web N] [--port-dashboard N]
                    [--host ADDRESS] [--api-allowed-hosts NAMES] [--dotted.flags]

Runs a compose file's services as local processes (no Docker) behind Switchyard.
  -f, --file FILE            compose file (default: docker-compose.yml in the current directory)
  --scale SERVICE=N          number of replicas of a service (repeatable)
  --port-web N               port of the web entry point (0 picks a free one)
  --port-dashboard N         port of the dashboard and API entry point (0 picks a free one)
  --host ADDRESS             interface the entry points listen on when their address names none
                             (default 127.0.0.1: this machine only; 0.0.0.0 for every interface,
                             which lets anyone on the network use the API and dashboard)
  --api-allowed-hosts NAMES  comma-separated host names the API and dashboard answer to, besides
                             localhost, *.localhost, 127.0.0.1 and [::1] (repeatable; *.example.com
                             for one level of subdomain; * for any name, which disables the guard
                             against DNS rebinding)
  --any.static.flag=V        extra static configuration, after the router service's own flags
`;

function portValue(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`${name} needs a port number from 0 to 65535, got ${JSON.stringify(value ?? '')}`, name);
  }
  return Number(value);
}

/** Parses the arguments of `up` (exported for tests). */
export function parseUpArgs(args: readonly string[]): UpOptions {
  const options: UpOptions = {
    file: undefined,
    scale: {},
    portWeb: undefined,
    portDashboard: undefined,
    host: undefined,
    apiAllowedHosts: [],
    flags: [],
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => inline ?? args[++i];
    switch (name) {
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '-f':
      case '--file': {
        const file = value();
        if (file === undefined || file === '') throw new ConfigError(`${name} needs a file name`, name);
        options.file = file;
        break;
      }
      case '--scale': {
        const spec = value() ?? '';
        const match = /^([^=]+)=(\d+)$/.exec(spec);
        if (match === null) throw new ConfigError(`--scale needs SERVICE=N, got ${JSON.stringify(spec)}`, '--scale');
        options.scale[match[1] as string] = Number(match[2]);
        break;
      }
      case '--port-web':
        options.portWeb = portValue(name, value());
        break;
      case '--port-dashboard':
        options.portDashboard = portValue(name, value());
        break;
      case '--host': {
        // `[::]` and `::` are the same interface; brackets belong to the address syntax only.
        const host = (value() ?? '').trim().replace(/^\[(.*)\]$/, '$1');
        if (host === '' || host.startsWith('-') || /[\s/[\]]/.test(host)) {
          throw new ConfigError(`--host needs an interface address such as 127.0.0.1 or 0.0.0.0`, name);
        }
        options.host = host;
        break;
      }
      case '--api-allowed-hosts': {
        const names = (value() ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '');
        if (names.length === 0) throw new ConfigError(`${name} needs host names, e.g. myhost.lan,*.example.com`, name);
        options.apiAllowedHosts.push(...names);
        break;
      }
      default:
        if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`, arg);
        options.flags.push(arg);
        // `--key value`: keep the value with its flag.
        if (inline === undefined && args[i + 1] !== undefined && !(args[i + 1] as string).startsWith('-')) {
          options.flags.push(args[++i] as string);
        }
    }
  }
  return options;
}

/** The entry point `--port-web` changes: `web` when there is one, else the first that is not `traefik`. */
function webEntryPoint(config: StaticConfiguration): string | undefined {
  const names = Object.keys(config.entryPoints);
  return names.includes('web') ? 'web' : names.find((n) => n !== 'traefik');
}

/**
 * `--entryPoints.NAME.address` flags for `--port-web`, `--port-dashboard` and `--host`: ports
 * replaced, and an address without an interface (`:8000`) bound to `host`. An interface the
 * configuration names explicitly (`0.0.0.0:8000`) is kept: it was asked for.
 */
function addressOverrides(
  config: StaticConfiguration,
  web: string | undefined,
  options: UpOptions,
  host: string,
): string[] {
  const flags: string[] = [];
  for (const [name, entry] of Object.entries(config.entryPoints)) {
    const address = parseAddress(entry.address);
    let port = address.port;
    if (name === web && options.portWeb !== undefined) port = options.portWeb;
    if (name === 'traefik' && options.portDashboard !== undefined) port = options.portDashboard;
    const bound = address.host ?? host;
    if (port === address.port && bound === address.host) continue;
    const suffix = address.protocol === 'udp' ? '/udp' : '';
    flags.push(`--entryPoints.${name}.address=${bound.includes(':') ? `[${bound}]` : bound}:${port}${suffix}`);
  }
  return flags;
}

function urlOf(app: Switchyard, entryPoint: string | undefined, path: string): string | undefined {
  const ep = entryPoint === undefined ? undefined : app.entryPoints.get(entryPoint);
  if (ep === undefined) return undefined;
  const host =
    ep.options.host === undefined || ep.options.host === '0.0.0.0' || ep.options.host === '::'
      ? 'localhost'
      : ep.options.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${ep.port}${path}`;
}

/** Runs `up` until a termination signal; resolves with the exit code. */
export async function upCommand(args: string[]): Promise<number> {
  const options = parseUpArgs(args);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const cwd = process.cwd();
  const project = await loadComposeProject(resolve(cwd, options.file ?? 'docker-compose.yml'));
  const routerFlags = project.router?.flags ?? DEFAULT_ROUTER_FLAGS;
  const load = (extra: string[]) =>
    loadStaticConfiguration({
      args: [...routerFlags, ...options.flags, ...extra],
      env: process.env,
      cwd,
      searchDirs: [],
    });
  let loaded = await load([]);
  const web = webEntryPoint(loaded.config);
  const host = options.host ?? DEFAULT_HOST;
  const overrides = addressOverrides(loaded.config, web, options, host);
  if (overrides.length > 0) loaded = await load(overrides);
  if (loaded.rest.length > 0) throw new ConfigError(`unknown argument ${JSON.stringify(loaded.rest[0])}\n${USAGE}`);

  const docker = loaded.config.providers.docker;
  // Docker's provider would need a daemon; its label options still shape the translation.
  const config: StaticConfiguration = {
    ...loaded.config,
    providers: { ...loaded.config.providers, docker: undefined },
  };
  const logger = createLogger(config.log);
  installLastResort(logger);
  for (const warning of [...loaded.warnings, ...project.warnings]) logger.warn({}, warning);
  if (docker !== undefined) {
    logger.info(
      {},
      'providers.docker is not used by `up`: the services run as local processes (its label options still apply)',
    );
  }
  const processLogger = messageLogger(logger, 'process');
  const provider = new ProcessProvider({ project, scale: options.scale, translation: docker, logger: processLogger });
  const { app, api } = await assembleSwitchyard(config, logger, {
    providers: [provider],
    staticWarnings: loaded.remarks,
  });
  registerStackApi(api, provider);
  // A page on another site whose name is re-pointed at this machine (DNS rebinding) still sends
  // its own Host; answering local names only keeps it away. A specific --host is local too.
  const allowedHosts = [...LOCAL_HOSTS, ...options.apiAllowedHosts];
  if (!EVERY_INTERFACE.has(host)) allowedHosts.push(host);
  api.restrictHosts(allowedHosts, 'allow another name with `switchyard up --api-allowed-hosts NAME`');
  if (EVERY_INTERFACE.has(host)) {
    logger.warn(
      { host },
      'listening on every interface: anyone who can reach this machine can use the API (scale, stop, start replicas); the host-name check only stops browsers, not a client that sends Host: localhost',
    );
  }

  try {
    await app.start();
  } catch (error) {
    await provider.stop();
    await app.stop(0).catch(() => undefined);
    if (error instanceof ListenError) {
      process.stderr.write(
        `switchyard up: ${error.message}\n  hint: pick other ports with --port-web N / --port-dashboard N\n`,
      );
      return 1;
    }
    throw error;
  }
  const ready = await provider.whenReady(READY_TIMEOUT_MS);
  // The replicas' snapshot is in, but the watcher coalesces bursts before rebuilding: build the
  // routing table now, so that what the banner announces is already being served.
  app.rebuild();
  // The API (and so the stack API) is served on the `traefik` entry point when api.insecure is on.
  const stackApi = config.api?.insecure === true ? urlOf(app, 'traefik', '/api/stack') : undefined;
  const dashboard = config.api?.dashboard ? urlOf(app, 'traefik', '/dashboard/') : undefined;
  process.stdout.write(
    formatBanner(provider.view(), { web: urlOf(app, web, '/'), dashboard, stackApi }, process.uptime(), ready),
  );
  return untilSignal(app, logger, async () => {
    // Entry points first: requests in flight finish while their replicas still run.
    await Promise.all([...app.entryPoints.values()].map((e) => e.close(app.options.graceMs ?? 10_000)));
    processLogger.info('stopping every replica');
    await provider.stop();
    processLogger.info('all replicas stopped');
  });
}
