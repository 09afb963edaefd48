/** Starts a real Switchyard in this process, on 127.0.0.1 with an ephemeral port, from a dynamic configuration. */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { InternalApi } from '../../src/api/internal-api.js';
import { loadStaticConfiguration } from '../../src/config/static-loader.js';
import type { Logger } from '../../src/core/logger.js';
import { assembleSwitchyard } from '../../src/server/create.js';
import type { Switchyard } from '../../src/server/switchyard.js';

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): Logger & { lines: Array<{ level: string; obj: object; msg?: string }> } {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

/** A running proxy for a test. */
export interface TestProxy {
  app: Switchyard;
  /** Its internal API (disabled unless the flags enable `api`). */
  api: InternalApi;
  /** Base URL of the `web` entry point. */
  url: string;
  port: number;
  dir: string;
  /** Replaces the dynamic configuration file (atomically, as editors do) and waits for the reload. */
  update(dynamic: object): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

/** Starts Switchyard with entry point `web` on an ephemeral port and a watched dynamic file. */
export async function startProxy(
  dynamic: object,
  extraFlags: string[] = [],
  options: { workingDirectory?: string; logger?: Logger } = {},
): Promise<TestProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-test-'));
  const file = join(dir, 'dynamic.yml');
  let written = stringify(dynamic);
  await writeFile(file, written);
  const { config, remarks } = await loadStaticConfiguration({
    args: ['--entryPoints.web.address=127.0.0.1:0', `--providers.file.filename=${file}`, ...extraFlags],
    env: {},
    cwd: dir,
    searchDirs: [],
  });
  const { app, api } = await assembleSwitchyard(config, options.logger ?? memoryLogger(), {
    staticWarnings: remarks,
    workingDirectory: options.workingDirectory,
  });
  await app.start();
  const port = app.entryPoints.get('web')?.port ?? 0;
  return {
    app,
    api,
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    async update(next: object) {
      const text = stringify(next);
      // An identical configuration is dropped by the watcher: there is no reload to wait for.
      if (text === written) return;
      written = text;
      const before = app.reloads;
      const temp = join(dir, 'dynamic.yml.tmp');
      await writeFile(temp, text);
      await rename(temp, file);
      const deadline = Date.now() + 3000;
      while (app.reloads === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (app.reloads === before) throw new Error('the proxy did not reload within 3 s');
    },
    async stop(graceMs = 1000) {
      await app.stop(graceMs);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
