/**
 * A test Switchyard in a child process, for cases that may crash the proxy: a crash then shows
 * as a failing assertion (with the child's last stderr lines) instead of killing the test file,
 * and the next case gets a fresh proxy (`ensure()`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A proxy running in a child process. */
export interface ChildProxy {
  port: number;
  url: string;
  /** Whether the current child is still running. */
  alive(): boolean;
  /** Why the last child ended, with the tail of its stderr, or null while it runs. */
  death(): string | null;
  /** Open client connections on the `web` entry point. */
  connections(): Promise<number>;
  /** Starts a new child if the current one died (a crash in an earlier case). */
  ensure(): Promise<void>;
  stop(): Promise<void>;
}

const MAIN = new URL('./child-proxy-main.js', import.meta.url);

/** Starts Switchyard in a child process with the dynamic configuration and static flags. */
export async function startChildProxy(dynamic: object, flags: string[] = []): Promise<ChildProxy> {
  let child: ChildProcess;
  let stderr = '';
  let exit: string | null = null;
  let nextId = 0;
  const spawnOne = () =>
    new Promise<number>((resolve, reject) => {
      stderr = '';
      exit = null;
      child = fork(MAIN, [JSON.stringify({ dynamic, flags })], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      let dir: string | undefined;
      child.once('exit', (code, signal) => {
        // A crashed child could not remove its temporary configuration directory.
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
        exit = `the proxy process exited (code ${code}, signal ${signal})${stderr ? `:\n${stderr.trim().split('\n').slice(-8).join('\n')}` : ''}`;
        reject(new Error(exit));
      });
      child.on('message', (message: { type: string; port?: number; dir?: string; error?: string }) => {
        if (message.type === 'ready') {
          dir = message.dir;
          resolve(message.port as number);
        } else if (message.type === 'error') reject(new Error(`the proxy did not start: ${message.error}`));
      });
    });
  const proxy = {} as ChildProxy;
  const start = async () => {
    const port = await spawnOne();
    proxy.port = port;
    proxy.url = `http://127.0.0.1:${port}`;
  };
  Object.assign(proxy, {
    alive: () => exit === null,
    death: () => exit,
    connections: () =>
      new Promise<number>((resolve, reject) => {
        if (exit !== null) {
          reject(new Error(exit));
          return;
        }
        const id = ++nextId;
        const onMessage = (message: { type: string; id?: number; count?: number }) => {
          if (message.type === 'connections' && message.id === id) {
            child.off('message', onMessage);
            resolve(message.count ?? -1);
          }
        };
        child.on('message', onMessage);
        child.send({ type: 'connections', id });
      }),
    ensure: async () => {
      if (exit !== null) await start();
    },
    stop: async () => {
      if (exit !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    },
  });
  await start();
  return proxy;
}
