// Running h2load (nghttp2-client) and reading its report: HTTP/2 with prior knowledge for
// http:// URLs (h2c), ALPN h2 for https:// ones.
import { spawn } from 'node:child_process';

/** Parse h2load's text report: req/s, requests done, succeeded, failed, 2xx. */
export function parseH2load(text) {
  const out = { rps: null, requests: null, succeeded: null, failed: null, errored: null, status2xx: null, non2xx: 0 };
  let m = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(text);
  if (m) out.rps = Number(m[1]);
  m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
  if (m) {
    out.requests = Number(m[3]);
    out.succeeded = Number(m[4]);
    out.failed = Number(m[5]);
    out.errored = Number(m[6]);
  }
  m = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  if (m) {
    out.status2xx = Number(m[1]);
    out.non2xx = Number(m[2]) + Number(m[3]) + Number(m[4]);
  }
  return out;
}

/**
 * `h2load -c{clients} -m{streams} -D{seconds} [--warm-up-time=W] url`, killed if it overruns.
 * Resolves to the parsed report plus the raw text.
 */
export function runH2load(url, { clients = 50, streams = 10, seconds = 10, warmup = 0, track } = {}) {
  const args = [`-c${clients}`, `-m${streams}`, `-D${seconds}`, '-t1'];
  if (warmup > 0) args.push(`--warm-up-time=${warmup}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + warmup + 15) * 1000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      track?.(null);
      const parsed = parseH2load(stdout);
      if (code !== 0 || parsed.rps === null) {
        reject(
          new Error(`h2load ${args.join(' ')} failed (code ${code}, signal ${signal}): ${stderr || stdout}`.trim()),
        );
        return;
      }
      resolve({ ...parsed, raw: stdout });
    });
  });
}
