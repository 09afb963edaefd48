/**
 * Runs the real `switchyard up` on the repository's compose file with free ports (`--port-web 0`,
 * `--port-dashboard 0`), reads the URLs from its banner, and stops it. Shared by the `up`
 * integration tests and the browser test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackView } from '../../src/provider/process/stack-view.js';
import { startCli } from './cli.js';
import { sendJson, waitFor } from './http.js';

/** The repository root: the nearest folder above this file with a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  return dir;
}

/**
 * The compose file runs `node dist/apps/…`: compile once when a TypeScript run finds no build
 * (tsc emits even if some unrelated file has type errors, so its exit code is not checked).
 */
export function ensureAppsBuilt(root = repoRoot()): void {
  const apps = ['dist/apps/dynamic-api/main.js', 'dist/apps/static-site/main.js'].map((p) => join(root, p));
  if (apps.every((p) => existsSync(p))) return;
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], {
    cwd: root,
    stdio: 'ignore',
    timeout: 180_000,
  });
  for (const p of apps) if (!existsSync(p)) throw new Error(`${p} is missing and tsc did not produce it`);
}

/** `waitFor` for probes that answer undefined/false until the value is there; resolves with the value. */
export async function waitForValue<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeout?: number; interval?: number; what?: string } = {},
): Promise<T> {
  return (await waitFor(probe, options)) as T;
}

/** A running `switchyard up`. */
export interface RunningUp {
  child: ReturnType<typeof startCli>['child'];
  output: { stdout: string; stderr: string };
  exited: ReturnType<typeof startCli>['exited'];
  /** `http://127.0.0.1:PORT/` of the web entry point, as the banner prints it. */
  web: string;
  /** `http://127.0.0.1:PORT/api/stack`, as the banner prints it. */
  stackApi: string;
  /** Seconds from start to banner, as `up` measured it. */
  readySeconds: number;
  stack(): Promise<StackView>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `up` with free ports and waits for its banner (rejects with its output if it exits first). */
export async function startUp(
  extraArgs: string[] = [],
  timeoutMs = 20_000,
  composeFile = join(repoRoot(), 'docker-compose.yml'),
): Promise<RunningUp> {
  const root = repoRoot();
  ensureAppsBuilt(root);
  const args = ['up', '-f', composeFile, '--port-web', '0', '--port-dashboard', '0', ...extraArgs];
  const run = startCli(args, { cwd: root, env: { NO_COLOR: '1', FORCE_COLOR: '' } });
  let exited = false;
  void run.exited.then(() => {
    exited = true;
  });
  const banner = await waitForValue(
    () => {
      if (exited) throw new Error('exited');
      const web = /Web\s+(http:\/\/\S+)/.exec(run.output.stdout)?.[1];
      const stackApi = /Stack API\s+(http:\/\/\S+)/.exec(run.output.stdout)?.[1];
      const ready = /\((\d+(?:\.\d+)?) s\)/.exec(run.output.stdout)?.[1];
      return web && stackApi && ready ? { web, stackApi, readySeconds: Number(ready) } : undefined;
    },
    { timeout: timeoutMs, interval: 50, what: 'the banner of switchyard up' },
  ).catch((error: Error) => {
    run.child.kill('SIGKILL');
    throw new Error(`${error.message}\n--- stdout\n${run.output.stdout}\n--- stderr\n${run.output.stderr}`);
  });
  return {
    ...run,
    ...banner,
    stack: async () => (await sendJson<StackView>(banner.stackApi)).json,
    stop: async (stopTimeout = 20_000) => {
      if (!exited) run.child.kill('SIGTERM');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), stopTimeout);
      const result = await run.exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Whether a process with this pid exists (zombies excepted: they are dead, just not reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // `/proc/PID/stat`: `pid (comm) STATE …`; the comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc');
  }
}

/** Every pid of the stack's replicas now. */
export function replicaPids(stack: StackView): number[] {
  return stack.services.flatMap((s) => s.replicas.map((r) => r.pid)).filter((p): p is number => p !== null);
}
