/**
 * No orphan, ever. Replicas run in their own process group (so a terminal's Ctrl-C reaches `up`
 * alone, which drains before stopping them, and so a kill reaches a replica's own children too).
 * Two guards make sure they never outlive `up`:
 *
 * - on a normal exit path (`process.exit`, an uncaught exception) an `exit` hook SIGKILLs every
 *   group still tracked;
 * - for a death no hook sees (SIGKILL, OOM killer), a tiny watchdog process holds a pipe from
 *   `up`: the kernel closes it when `up` dies, whatever the cause, and the watchdog then stops
 *   every group it was told about (SIGTERM, SIGKILL 3 s later) and exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';

// Plain JavaScript run with `node -e`, so it works the same from TypeScript sources and from dist.
const WATCHDOG = `
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
const groups = new Set();
let buffer = '';
const signal = (name) => { for (const pid of groups) { try { process.kill(-pid, name); } catch {} } };
const parentGone = () => {
  if (groups.size === 0) process.exit(0);
  signal('SIGTERM');
  setTimeout(() => { signal('SIGKILL'); process.exit(0); }, 3000);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    const pid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pid); else groups.delete(pid);
  }
});
process.stdin.on('end', parentGone);
process.stdin.on('error', parentGone);
`;

/** Tracks the process groups of running replicas so none survives this process. */
export class OrphanGuard {
  private readonly groups = new Set<number>();
  private watchdog: ChildProcess | undefined;
  private readonly onExit = () => {
    for (const pid of this.groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  /** Starts the watchdog and installs the exit hook. */
  start(): void {
    if (this.watchdog !== undefined) return;
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Neither the watchdog nor its pipe may keep `up` alive.
    watchdog.unref();
    watchdog.on('error', () => undefined);
    const stdin = watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
    stdin?.on('error', () => undefined);
    (stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.watchdog = watchdog;
    process.on('exit', this.onExit);
  }

  /** The watchdog's pid (for tests and `/api/stack`). */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  /** Starts guarding the group led by `pid`. */
  track(pid: number): void {
    this.groups.add(pid);
    this.send(`+${pid}\n`);
  }

  /** Stops guarding a group whose leader has exited. */
  untrack(pid: number): void {
    this.groups.delete(pid);
    this.send(`-${pid}\n`);
  }

  /** Ends the watchdog (after every replica stopped) and removes the exit hook. */
  close(): void {
    process.off('exit', this.onExit);
    this.onExit();
    this.watchdog?.stdin?.end();
    this.watchdog = undefined;
  }

  private send(line: string): void {
    const stdin = this.watchdog?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }
}
