// Running wrk and reading its report.
import { spawn } from 'node:child_process';

const TIME_UNITS = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  return m ? Number(m[1]) * TIME_UNITS[m[2]] : null;
}

function toBytes(text) {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text);
  return m ? Number(m[1]) * SIZE_UNITS[m[2]] : null;
}

/** Parse wrk's text report (with or without --latency) into numbers (ms, bytes/s). */
export function parseWrk(text) {
  const out = {
    requests: null,
    seconds: null,
    rps: null,
    bytesPerSec: null,
    p50: null,
    p75: null,
    p90: null,
    p99: null,
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
  };
  let m = /(\d+) requests in ([\d.]+)(us|ms|s|m|h)/.exec(text);
  if (m) {
    out.requests = Number(m[1]);
    out.seconds = (Number(m[2]) * TIME_UNITS[m[3]]) / 1000;
  }
  m = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (m) out.rps = Number(m[1]);
  m = /Transfer\/sec:\s+(\S+)/.exec(text);
  if (m) out.bytesPerSec = toBytes(m[1]);
  const dist = /Latency Distribution([\s\S]*?)\n\s*\d+ requests in/.exec(text);
  if (dist) {
    for (const line of dist[1].split('\n')) {
      const lm = /^\s*(\d+)%\s+(\S+)/.exec(line);
      if (lm) out[`p${lm[1]}`] = toMs(lm[2]);
    }
  }
  m = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  if (m) out.non2xx = Number(m[1]);
  m = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (m) out.socketErrors = { connect: +m[1], read: +m[2], write: +m[3], timeout: +m[4] };
  return out;
}

/** Errors wrk saw, as one number (non-2xx plus socket errors). */
export function errorCount(r) {
  const s = r.socketErrors;
  return r.non2xx + s.connect + s.read + s.write + s.timeout;
}

/**
 * Run `wrk -t{threads} -c{connections} -d{seconds}s [--latency] url`, killed if it overruns.
 * Resolves to the parsed report plus the raw text.
 */
export function runWrk(url, { threads = 1, connections = 50, seconds = 10, latency = false, track } = {}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`];
  if (latency) args.push('--latency');
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      track?.(null);
      const parsed = parseWrk(stdout);
      if (code !== 0 || parsed.rps === null) {
        reject(new Error(`wrk ${args.join(' ')} failed (code ${code}, signal ${signal}): ${stderr || stdout}`.trim()));
        return;
      }
      resolve({ ...parsed, raw: stdout });
    });
  });
}
