/**
 * The provider interface: a source of dynamic configuration (file, docker, process, …).
 * A provider publishes complete snapshots, never diffs; the watcher throttles them and drops
 * one equal to the last. Problems are data: `issues` travel with the snapshot and end up on
 * the objects they concern (API, dashboard, logs, `switchyard check`).
 */
import type { ServerDrains } from '../balancer/drain.js';
import type { DynamicConfiguration } from '../config/dynamic-schema.js';
import type { ConfigIssue } from '../core/config-issue.js';
import type { SwitchyardError } from '../errors.js';

/** A complete configuration from one provider; names are not yet qualified with `@provider`. */
export interface ProviderSnapshot {
  provider: string;
  config: DynamicConfiguration;
  issues: ConfigIssue[];
  /**
   * Where each object was defined, by dotted path (`http.routers.api` → `dynamic.yml:12:5`,
   * or `container web-1`), so errors found later (a bad rule, a missing service) can say where.
   */
  origins?: Record<string, string>;
}

/** Where a provider sends what it finds. */
export interface ProviderSink {
  /** A new complete configuration (replaces this provider's previous one). */
  publish(snapshot: ProviderSnapshot): void;
  /**
   * The provider cannot produce configuration right now (broken file, daemon gone). The last
   * good snapshot keeps serving; the error is logged and shown in the API until the next publish.
   */
  fail(error: SwitchyardError): void;
}

/**
 * The plain-message logging calls providers make; the caller tags them with the provider's
 * name (`messageLogger` in ./index.ts). A pino logger fits.
 */
export interface ProviderLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The logger of a provider given none. */
export const silentLogger: ProviderLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A configuration source. `start` resolves once the first snapshot (or failure) is out. */
export interface Provider {
  /** The provider name used in qualified names (`name@file`). */
  readonly name: string;
  start(sink: ProviderSink): Promise<void>;
  stop(): Promise<void>;
  /** Reads the source again now (SIGHUP); optional for providers that always watch. */
  reload?(): Promise<void>;
  /**
   * Receives, at assembly, the process's drainer, to announce servers that are about to go
   * (a replica or container being stopped) and wait for their requests; optional for providers
   * whose servers only leave with a snapshot (the rebuild drains those).
   */
  useDrains?(drains: ServerDrains): void;
}
