/** Runs the real `switchyard` command as a child process (compiled JS in CI, TypeScript under tsx). */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fromTypeScript = import.meta.url.endsWith('.ts');
const mainPath = fileURLToPath(new URL(`../../src/cli/main.${fromTypeScript ? 'ts' : 'js'}`, import.meta.url));

/** Node arguments that start the CLI with `args`. */
export function cliArgs(args: string[]): string[] {
  // Resolved to a file URL so the child finds tsx whatever its working directory.
  return [...(fromTypeScript ? ['--import', import.meta.resolve('tsx')] : []), mainPath, ...args];
}

/** Starts the CLI; output is collected on the returned object. */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child: ChildProcess = spawn(process.execPath, cliArgs(args), {
    cwd: options.cwd,
    // Plain text output whatever the environment (picocolors turns colours on under CI=true).
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const run = startCli(args, options);
  const { code } = await run.exited;
  return { code, stdout: run.output.stdout, stderr: run.output.stderr };
}
