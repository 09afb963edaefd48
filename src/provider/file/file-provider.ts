/**
 * The file provider: dynamic configuration from one YAML/TOML file or a directory of them,
 * reloaded on save. Editors save by writing a temporary file and renaming it over the original,
 * which replaces the inode a file watch would follow, so we watch the directory instead and
 * debounce the burst of events one save produces. A file that does not parse is reported with
 * `sink.fail()` and the last good configuration keeps serving until a later save parses.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { configFormat } from '../../config/config-file.js';
import { ConfigError, ProviderError, SwitchyardError } from '../../errors.js';
import { type Provider, type ProviderLogger, type ProviderSink, silentLogger } from '../provider.js';
import { loadFileSnapshot } from './load-files.js';

/** Options of the file provider, as in Traefik's `providers.file`. */
export interface FileProviderOptions {
  filename?: string;
  directory?: string;
  /** Reload on change; default false here (the static configuration defaults it to true). */
  watch?: boolean;
  logger?: ProviderLogger;
  /** Quiet time after the last file event before reloading, in ms; default 100. */
  debounceMs?: number;
  /** Traefik's `debugLogGeneratedTemplate`: log each templated file as rendered, at debug level. */
  debugLogGeneratedTemplate?: boolean;
  /** The static configuration's file: when the provider reads it too, its static keys are not warned about. */
  staticFile?: string;
}

/** Publishes the configuration of a file or directory, and again after every save when watching. */
export class FileProvider implements Provider {
  readonly name = 'file';
  private readonly filename: string | undefined;
  private readonly directory: string | undefined;
  private readonly watchEnabled: boolean;
  private readonly logger: ProviderLogger;
  private readonly debounceMs: number;
  private readonly logRendered: ((file: string, text: string) => void) | undefined;
  private readonly staticFile: string | undefined;
  private sink: ProviderSink | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private stopped = false;

  constructor(options: FileProviderOptions) {
    if (options.filename === undefined && options.directory === undefined) {
      throw new ConfigError('the file provider needs a filename or a directory', 'providers.file');
    }
    this.filename = options.filename === undefined ? undefined : resolve(options.filename);
    this.directory = options.directory === undefined ? undefined : resolve(options.directory);
    this.watchEnabled = options.watch ?? false;
    this.logger = options.logger ?? silentLogger;
    this.debounceMs = options.debounceMs ?? 100;
    this.logRendered = options.debugLogGeneratedTemplate
      ? (file, text) => this.logger.debug(`file provider: ${file} rendered as:\n${text}`)
      : undefined;
    this.staticFile = options.staticFile === undefined ? undefined : resolve(options.staticFile);
  }

  /** Publishes (or fails) once, then starts watching if asked to. */
  async start(sink: ProviderSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
    // Watch before the first read so a save made while reading is not missed.
    if (this.watchEnabled) this.startWatching();
    await this.readAndDeliver();
  }

  /** Reads the source again now (SIGHUP), after any reload in progress. */
  async reload(): Promise<void> {
    this.runReload();
    await this.reloading;
  }

  /** Closes the watcher and waits for a reload in progress; nothing is published afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    await this.reloading;
  }

  private get target(): string {
    return (this.directory ?? this.filename) as string;
  }

  private startWatching(): void {
    const dir = this.directory ?? dirname(this.filename as string);
    const base = this.filename === undefined ? undefined : basename(this.filename);
    try {
      this.watcher = watch(dir, (_event, name) => {
        try {
          const file = name?.toString();
          // `..data` style names are Kubernetes ConfigMap symlink swaps; null means "something changed".
          const relevant =
            file === undefined ||
            file.startsWith('..') ||
            (base === undefined ? configFormat(file) !== undefined : file === base);
          if (relevant) this.schedule();
        } catch (error) {
          this.logger.error(`file provider: watch event failed: ${(error as Error).message}`);
        }
      });
      this.watcher.on('error', (error) => {
        this.logger.error(`file provider: watching ${dir} failed: ${error.message}`);
      });
    } catch (error) {
      this.logger.error(`file provider: cannot watch ${dir}: ${(error as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runReload();
    }, this.debounceMs);
  }

  /** Runs reloads one at a time; events during a reload cause exactly one more. */
  private runReload(): void {
    if (this.stopped) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.readAndDeliver();
      } while (this.reloadAgain && !this.stopped);
    })().finally(() => {
      this.reloading = undefined;
    });
  }

  private async readAndDeliver(): Promise<void> {
    const sink = this.sink;
    if (!sink || this.stopped) return;
    let snapshot: Awaited<ReturnType<typeof loadFileSnapshot>>;
    try {
      snapshot = await loadFileSnapshot(
        { filename: this.filename, directory: this.directory, staticFile: this.staticFile },
        this.logRendered,
      );
    } catch (error) {
      if (this.stopped) return;
      const failure =
        error instanceof SwitchyardError
          ? error
          : new ProviderError(`file provider: ${(error as Error).message}`, this.target, error);
      this.logger.warn(`file provider: ${failure.message}; keeping the last good configuration`);
      this.deliver(() => sink.fail(failure));
      return;
    }
    if (this.stopped) return;
    this.logger.info(`file provider: loaded ${this.target} (${snapshot.issues.length} issue(s))`);
    this.deliver(() => sink.publish(snapshot));
  }

  /** A sink that throws must not kill the watcher (this runs from timer callbacks). */
  private deliver(send: () => void): void {
    try {
      send();
    } catch (error) {
      this.logger.error(`file provider: the sink threw: ${(error as Error).message}`);
    }
  }
}
