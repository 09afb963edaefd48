/**
 * Real Redis and etcd servers for the KV provider tests, started on free ports of 127.0.0.1
 * from Debian's `redis-server` and `etcd` (`.ci/run` installs them), each in its own temporary
 * directory, stopped by PID. A server can be stopped and started again on the same port, to
 * test a store that goes away under load.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './http.js';
import { freePort } from './ports.js';

/** A store server the test controls. */
export interface KvServer {
  /** `127.0.0.1:port`, as `providers.<store>.endpoints` takes it. */
  endpoint: string;
  port: number;
  /** Stops the process (SIGTERM, then waits for its exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the keys it had. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Why the KV suite cannot run here, or false. */
export function kvSkipReason(): string | false {
  for (const tool of ['redis-server', 'etcd']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (.ci/run installs redis-server and etcd-server)`;
    }
  }
  return false;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function managed(
  name: string,
  port: number,
  command: string,
  args: () => string[],
  dir: string,
): Promise<KvServer> {
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    output = '';
    const started = spawn(command, args(), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child = started;
    try {
      await waitFor(() => started.exitCode === null && portOpen(port), {
        timeout: 15_000,
        what: `${name} on port ${port}`,
      });
    } catch (error) {
      started.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output}`);
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `redis-server` (keys kept across a restart); `notifications` turns keyspace notifications on. */
export async function startRedis(options: { notifications: boolean }): Promise<KvServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));
  const args = () => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    // An append-only file in its directory: a restart keeps the keys, as a production Redis would.
    '--appendonly',
    'yes',
    '--dir',
    dir,
    ...(options.notifications ? ['--notify-keyspace-events', 'KA'] : []),
  ];
  return managed('redis-server', port, 'redis-server', args, dir);
}

/** Starts a one-member `etcd` cluster; its data directory survives a stop/start. */
export async function startEtcd(): Promise<KvServer> {
  const port = await freePort();
  const peer = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-etcd-'));
  const args = () => [
    '--name',
    'test',
    '--data-dir',
    join(dir, 'data'),
    '--listen-client-urls',
    `http://127.0.0.1:${port}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${port}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-cluster',
    `test=http://127.0.0.1:${peer}`,
    '--logger',
    'zap',
    '--log-level',
    'error',
  ];
  return managed('etcd', port, 'etcd', args, dir);
}
