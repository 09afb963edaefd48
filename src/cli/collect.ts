/**
 * One-shot configuration for `check` and `explain`: reads the dynamic configuration once (the
 * files named on the command line, else the static file provider's), then merges and builds
 * it exactly as the running proxy would, without listening anywhere.
 */
import { offeredInternalServices } from '../api/index.js';
import { UpstreamRegistry } from '../balancer/upstream-state.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import { SwitchyardError } from '../errors.js';
import { type LoadedFile, listConfigFiles, loadConfigFile, mergeConfigFiles } from '../provider/file/load-files.js';
import type { ProviderSnapshot } from '../provider/provider.js';
import { TransportPool } from '../proxy/transport.js';
import { wantedAndReported } from '../server/acme-wiring.js';
import { type BuiltTable, buildRoutingTable } from '../server/build-table.js';
import { buildTcpTable } from '../server/build-tcp.js';
import { buildUdpRoutes } from '../server/build-udp.js';
import { mergeSnapshots } from '../server/merge.js';
import type { RuntimeConfiguration } from '../server/runtime.js';
import { defaultTransport, entryPointModels, entryPointOptions, internalSnapshot } from '../server/settings.js';
import { TcpStats } from '../tcp/stats.js';
import type { TcpRoutingTable } from '../tcp/table.js';
import { TcpUpstreams } from '../tcp/upstreams.js';
import { CertificateStore } from '../tls/certificate-store.js';

/** A file that could not be read or parsed at all. */
export interface FileFailure {
  file: string;
  message: string;
  location?: string;
}

/** The merged, built configuration and the files that failed. */
export interface CollectedConfiguration {
  runtime: RuntimeConfiguration;
  built: BuiltTable;
  /** The TCP routers as the proxy would build them (for `explain` of a TLS or TCP connection). */
  tcp: TcpRoutingTable;
  files: string[];
  failures: FileFailure[];
}

function failure(file: string, error: unknown): FileFailure {
  return {
    file,
    message: (error as Error).message,
    location: error instanceof SwitchyardError ? error.location : undefined,
  };
}

/**
 * Dynamic files to read: the ones given, else the static file provider's, chosen as the
 * provider chooses them (`directory` wins over `filename`, hidden files are skipped).
 */
async function dynamicFiles(config: StaticConfiguration, explicit: string[]): Promise<string[]> {
  if (explicit.length > 0) return explicit;
  const file = config.providers.file;
  if (file === undefined) return [];
  if (file.directory !== undefined) return listConfigFiles(file.directory);
  if (file.filename !== undefined) return [file.filename];
  return [];
}

/**
 * Merges provider snapshots with the internal one and builds the routing table as the running
 * proxy would, without listening (`check`, `explain`, and the compatibility corpus's label cases).
 */
export function buildFromSnapshots(
  config: StaticConfiguration,
  snapshots: ProviderSnapshot[],
): { runtime: RuntimeConfiguration; built: BuiltTable; tcp: TcpRoutingTable } {
  const runtime = mergeSnapshots([internalSnapshot(config), ...snapshots]);
  const options = entryPointOptions(config);
  const entryPoints = options.filter((e) => e.protocol === 'tcp').map((e) => e.name);
  const transports = new TransportPool();
  const internalServices = new Map(offeredInternalServices(config).map((n) => [n, () => undefined]));
  const certResolvers = new Set(Object.keys(config.certificatesResolvers));
  const built = buildRoutingTable(runtime, {
    entryPoints,
    defaultEntryPoints: entryPoints,
    upstreams: new UpstreamRegistry(),
    transports,
    defaultTransport: defaultTransport(config),
    internalServices,
    models: entryPointModels(config),
    certResolvers,
  });
  transports.destroyAll();
  // What the ACME resolvers would be asked for: a router asking for nothing orderable is warned.
  const resolvers = new Set(Object.keys(config.certificatesResolvers));
  if (resolvers.size > 0) {
    const models = entryPointModels(config);
    const named = Object.fromEntries(entryPoints.map((name) => [name, { http: { tls: models.get(name)?.tls } }]));
    wantedAndReported(runtime, named, resolvers);
  }
  const upstreams = new UpstreamRegistry();
  const stats = new TcpStats();
  const tcp = buildTcpTable(runtime, {
    entryPoints,
    defaultEntryPoints: entryPoints,
    upstreams,
    connections: new TcpUpstreams(),
    stats,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    tls: { build: built.tls, certificates: new CertificateStore(), certResolvers },
  });
  buildUdpRoutes(runtime, {
    entryPoints: options.filter((e) => e.protocol === 'udp').map((e) => e.name),
    upstreams,
    stats,
  });
  return { runtime, built, tcp: tcp.table };
}

/** Reads, validates, merges and builds the configuration once. */
export async function collectConfiguration(
  config: StaticConfiguration,
  explicitFiles: string[],
  staticFile?: string,
): Promise<CollectedConfiguration> {
  const failures: FileFailure[] = [];
  let files: string[] = [];
  try {
    files = await dynamicFiles(config, explicitFiles);
  } catch (error) {
    failures.push(failure(config.providers.file?.directory ?? '', error));
  }
  const loaded: LoadedFile[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadConfigFile(file, { staticFile }));
    } catch (error) {
      failures.push(failure(file, error));
    }
  }
  // Merged as the file provider merges: the first definition of a name wins, with a warning.
  const { runtime, built, tcp } = buildFromSnapshots(config, [mergeConfigFiles(loaded)]);
  return { runtime, built, tcp, files, failures };
}
