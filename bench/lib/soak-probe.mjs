// What the soak reads about the running proxy from outside: memory and fds from /proc, the
// latency of `/ping` (event-loop delay as a client sees it), the Prometheus endpoint, the API.
import fs from 'node:fs';
import http from 'node:http';
import { processTree } from './procs.mjs';

/** Resident memory of the proxy and its workers (VmRSS summed over the tree), in MiB. */
export function rssMiB(pid) {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}

/** Open file descriptors of the proxy and its workers. */
export function openFds(pid) {
  let n = 0;
  for (const p of processTree(pid)) {
    try {
      n += fs.readdirSync(`/proc/${p}/fd`).length;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** GET a URL with a short timeout; resolves to { status, body, ms } or { error, ms }. */
export function fetchText(url, agent, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, body, ms: performance.now() - started }));
      res.on('error', (e) => resolve({ error: e.code ?? e.message, ms: performance.now() - started }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve({ error: e.code ?? e.message, ms: performance.now() - started }));
  });
}

/**
 * `/ping` every `everyMs` over one keep-alive connection. A trivial request's latency is
 * the proxy's event-loop delay plus a small constant: it is how a stalled loop looks to clients.
 * `take()` returns and resets the samples gathered since the last call.
 */
export function startPinger(url, everyMs = 250) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let samples = [];
  let failures = 0;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return; // a slow ping is itself the sample; do not pile up behind it
    busy = true;
    const r = await fetchText(url, agent, 5000);
    busy = false;
    if (r.status === 200) samples.push(r.ms);
    else failures++;
  }, everyMs);
  return {
    take() {
      const out = { samples, failures };
      samples = [];
      failures = 0;
      return out;
    },
    stop() {
      clearInterval(timer);
      agent.destroy();
    },
  };
}

/**
 * From the Prometheus page: `switchyard_config_reloads_total` (tables the proxy built, to set
 * against the files the soak wrote) and `nodejs_eventloop_lag_seconds`; null where absent.
 */
export async function promFigures(url) {
  const r = await fetchText(url, false, 3000);
  const value = (name) => {
    const m = r.status === 200 ? new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(r.body) : null;
    return m ? Number(m[1]) : null;
  };
  return { reloads: value('switchyard_config_reloads_total'), lag: value('nodejs_eventloop_lag_seconds') };
}

/** The server URLs of a service as the proxy's API reports them, or null when unreadable. */
export async function servedUrls(apiBase, service) {
  const r = await fetchText(`${apiBase}/api/http/services/${service}`, false, 3000);
  if (r.status !== 200) return null;
  try {
    return (JSON.parse(r.body).loadBalancer?.servers ?? []).map((s) => s.url);
  } catch {
    return null;
  }
}

/** Quantile of an array of numbers (nearest rank); null when empty. */
export function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
