// Child processes: start them in their own process group, track them, stop them by id,
// and read their CPU time and peak memory from /proc.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const live = new Map(); // pid -> { child, name }

/** Start `cmd args` as the leader of a new process group, output appended to `logFile`. */
export function startProcess(name, cmd, args, { logFile, cwd, env } = {}) {
  const fd = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
  if (typeof fd === 'number') fs.closeSync(fd);
  const handle = { name, child, pid: child.pid, exited: false, exitCode: null, signal: null, spawnError: null };
  handle.exitPromise = new Promise((resolve) => {
    child.once('error', (err) => {
      handle.spawnError = err;
      handle.exited = true;
      live.delete(handle.pid);
      resolve();
    });
    child.once('exit', (code, signal) => {
      handle.exited = true;
      handle.exitCode = code;
      handle.signal = signal;
      resolve();
    });
  });
  if (child.pid) live.set(child.pid, handle);
  return handle;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the process group, SIGKILL it after `graceMs`; resolves once the leader is gone. */
export async function stopProcess(handle, graceMs = 3000) {
  if (!handle?.pid) return;
  if (!handle.exited) {
    killGroup(handle.pid, 'SIGTERM');
    const timer = new Promise((r) => setTimeout(r, graceMs));
    await Promise.race([handle.exitPromise, timer]);
  }
  // Leader gone or stubborn: make sure no member of its group (workers) survives.
  killGroup(handle.pid, 'SIGKILL');
  await Promise.race([handle.exitPromise, new Promise((r) => setTimeout(r, 1000))]);
  live.delete(handle.pid);
}

/** Synchronously SIGKILL every process group still tracked (exit and signal handlers). */
export function killAllSync() {
  for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  live.clear();
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Clock ticks per second for /proc/PID/stat times. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
  } catch {
    return null;
  }
}

/** `pid` and all its live descendants, found through the ppid field of every /proc/N/stat. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(entry);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(entry));
    else children.set(st.ppid, [Number(entry)]);
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    if (!readStat(p)) continue;
    out.push(p);
    for (const c of children.get(p) ?? []) queue.push(c);
  }
  return out;
}

/** Total user+system CPU of the tree rooted at `pid`, in clock ticks, per pid. */
export function cpuTicks(pid) {
  const perPid = new Map();
  for (const p of processTree(pid)) {
    const st = readStat(p);
    if (st) perPid.set(p, st.utime + st.stime);
  }
  return perPid;
}

/** CPU seconds spent by the tree between two `cpuTicks` readings (processes gone since count as 0). */
export function cpuSecondsBetween(before, after) {
  let ticks = 0;
  for (const [p, t] of after) ticks += t - (before.get(p) ?? 0);
  return ticks / CLK_TCK;
}

/** Peak resident set (VmHWM) summed over the tree rooted at `pid`, in bytes. */
export function peakRssBytes(pid) {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Last `max` bytes of a log file, for failure reports. */
export function tail(file, max = 2000) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.length > max ? `…${text.slice(-max)}` : text;
  } catch {
    return '';
  }
}
