/**
 * A data-plane worker process: it listens on the shared entry points, builds its own routing
 * table from the provider snapshots the primary sends, takes active health from the primary
 * (it runs no checks itself), and reports its statistics once a second and when it stops.
 * Passive health, draining of removed servers, round-robin positions and upstream keep-alive
 * pools are its own: nothing on the request path is shared with another process.
 */

import type { StaticConfiguration } from '../../config/static-schema.js';
import { installLastResort } from '../../core/last-resort.js';
import type { Logger } from '../../core/logger.js';
import { createLogger } from '../../logger.js';
import { namesInUse } from '../../metrics/live-stats.js';
import { Telemetry } from '../../metrics/telemetry.js';
import { loadLocalPlugins } from '../../middlewares/index.js';
import type { ProviderSnapshot } from '../../provider/provider.js';
import { httpChallengeEntryPoints, ReplicaAcme } from '../acme-wiring.js';
import { NOOP_SERVICE, noopHandler } from '../services/noop.js';
import { defaultTransport, entryPointModels, entryPointOptions } from '../settings.js';
import { Switchyard } from '../switchyard.js';
import { type FromWorker, type InitMessage, isMessage, type StatsMessage, type ToWorker } from './protocol.js';

/** How often statistics go to the primary (ms). */
const STATS_INTERVAL_MS = 1000;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Marks exactly the servers in `down` as DOWN (active health), creating states the table will use. */
function applyHealth(app: Switchyard, down: readonly string[]): void {
  const set = new Set(down);
  for (const state of app.upstreams.all()) state.setActiveHealth(set.has(state.url) ? 'DOWN' : 'UP');
  for (const url of set) app.upstreams.get(url).setActiveHealth('DOWN');
}

/** Health first, so a new server with a failing check is never picked by the new table. */
function applyConfiguration(app: Switchyard, snapshots: readonly ProviderSnapshot[], down: readonly string[]): void {
  applyHealth(app, down);
  for (const snapshot of snapshots) app.watcher.sinkFor(snapshot.provider).publish(snapshot);
  app.rebuild();
}

/** Waits for the primary's `init`, after saying hello (the listener is in place by then). */
function initialisation(): Promise<InitMessage> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!isMessage(message)) return;
      // Stopped before it even started: nothing to drain.
      if (message.type === 'stop') process.exit(0);
      if (message.type !== 'init') return;
      process.off('message', onMessage);
      resolve(message as InitMessage);
    };
    process.on('message', onMessage);
    void send({ type: 'hello' });
  });
}

async function counters(app: Switchyard, telemetry: Telemetry): Promise<StatsMessage> {
  const inFlight: Record<string, number> = {};
  const connections: Record<string, number> = {};
  for (const [name, entryPoint] of app.entryPoints) {
    inFlight[name] = entryPoint.inFlight;
    connections[name] = entryPoint.openConnections;
  }
  return { type: 'stats', stats: telemetry.recorder.snapshot(true), inFlight, connections };
}

function createWorkerApp(
  init: InitMessage,
  logger: Logger,
  telemetry: Telemetry,
  acme: ReplicaAcme | undefined,
): Switchyard {
  const config: StaticConfiguration = init.config;
  const mine = new Set(init.entryPoints);
  return new Switchyard({
    entryPoints: entryPointOptions(config).filter((entry) => mine.has(entry.name)),
    remoteEntryPoints: init.remoteEntryPoints,
    providers: [],
    defaultTransport: defaultTransport(config),
    logger,
    graceMs: init.graceMs,
    observer: telemetry.observer,
    activeHealthChecks: false,
    logConfigurationErrors: false,
    // The one internal service that needs no control-plane state; the others stay with the primary.
    internalServices: new Map([[NOOP_SERVICE, noopHandler]]),
    entryPointModels: entryPointModels(config),
    certResolvers: new Set(Object.keys(config.certificatesResolvers)),
    ...(init.defaultCertificate === undefined ? {} : { defaultCertificate: init.defaultCertificate }),
    ...(acme === undefined ? {} : { acme }),
  });
}

/** Runs this process as worker until the primary stops it (or goes away); never resolves normally. */
export async function runWorker(): Promise<void> {
  if (process.send === undefined) throw new Error('a worker must be started by the switchyard primary process');
  // The primary reloads and coordinates shutdown; a signal sent to the whole process group
  // (Ctrl-C, a closing terminal) must not make workers act on their own.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  const init = await initialisation();
  const logger = createLogger(init.config.log).child({ worker: init.id });
  installLastResort(logger);
  const telemetry = new Telemetry(init.config, logger);
  await loadLocalPlugins(init.config.experimental.localPlugins, process.cwd(), logger);
  // The primary runs the ACME resolvers; a worker serves what they hold and answers their challenges.
  const acme = init.acme === undefined ? undefined : new ReplicaAcme(httpChallengeEntryPoints(init.config));
  if (acme !== undefined && init.acme !== undefined) {
    for (const [resolver, entries] of init.acme.certificates) acme.setCertificates(resolver, entries);
    acme.setChallenges(init.acme.challenges);
  }
  const app = createWorkerApp(init, logger, telemetry, acme);
  app.onReload(() => telemetry.recorder.prune(namesInUse(app)));
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  const stop = async (graceMs: number) => {
    if (stopping) return;
    stopping = true;
    if (timer !== null) clearInterval(timer);
    await app.stop(graceMs);
    await send(await counters(app, telemetry));
    await telemetry.accessLog?.close();
    process.exit(0);
  };
  // Installed before listening, so a reload that happens while this worker starts is not lost.
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    const m = message as ToWorker;
    if (m.type === 'config') applyConfiguration(app, m.snapshots, m.down);
    else if (m.type === 'health') applyHealth(app, m.down);
    else if (m.type === 'stop') void stop(m.graceMs);
    else if (m.type === 'acme-certificates') acme?.setCertificates(m.resolver, m.entries);
    else if (m.type === 'acme-challenges') {
      acme?.setChallenges(m.challenges);
      void send({ type: 'acme-ack', seq: m.seq });
    }
  });
  applyConfiguration(app, init.snapshots, init.down);
  try {
    await app.start();
  } catch (error) {
    const e = error as { message?: string; code?: string; location?: string };
    await send({ type: 'failed', message: e.message ?? String(error), code: e.code, location: e.location });
    process.exit(1);
  }
  if (stopping) return;
  const ports: Record<string, number> = {};
  for (const [name, entryPoint] of app.entryPoints) ports[name] = entryPoint.port;
  await send({ type: 'ready', ports });
  timer = setInterval(() => {
    counters(app, telemetry).then(send, () => undefined);
  }, STATS_INTERVAL_MS);
  // A worker killed on its own (not through the primary) still drains; the primary restarts it.
  process.once('SIGTERM', () => {
    logger.info({ signal: 'SIGTERM' }, 'worker draining');
    void stop(init.graceMs);
  });
}
