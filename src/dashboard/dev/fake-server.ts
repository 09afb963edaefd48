/**
 * Development only: serves the built dashboard with fake API answers and a fake live stream in
 * the shapes the real API gives, so the UI can be worked on alone.
 *   node scripts/build-dashboard.mjs --watch & npx tsx src/dashboard/dev/fake-server.ts [port]
 */
import { createServer, type ServerResponse } from 'node:http';
import type { RequestContext } from '../../core/request-context.js';
import { createDashboardHandler } from '../serve.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const dashboard = createDashboardHandler({ cache: false });

const servers = ['http://10.0.0.11:3000', 'http://10.0.0.12:3000'];
const staticServer = 'http://10.0.0.20:80';
const routers = [
  {
    name: 'api@file',
    provider: 'file',
    status: 'enabled',
    rule: 'PathPrefix(`/api`)',
    service: 'dynamic',
    middlewares: ['strip-api'],
    entryPoints: ['web'],
    using: ['web'],
    priority: 18,
  },
  {
    name: 'static@file',
    provider: 'file',
    status: 'enabled',
    rule: 'PathPrefix(`/`)',
    service: 'static',
    entryPoints: ['web'],
    using: ['web'],
    priority: 15,
  },
  {
    name: 'broken@file',
    provider: 'file',
    status: 'disabled',
    rule: 'Pathprefix(`/x`) && Host(',
    service: 'dynamic',
    error: ['dynamic.yml:14:17: rule: unexpected end of input, expected a string argument'],
    entryPoints: ['web'],
    using: ['web'],
  },
];
let replicas = 2;
const services = () => [
  {
    name: 'dynamic@file',
    provider: 'file',
    status: 'enabled',
    type: 'loadbalancer',
    loadBalancer: { servers: servers.slice(0, replicas).map((url) => ({ url })), passHostHeader: true },
    serverStatus: Object.fromEntries(servers.slice(0, replicas).map((u) => [u, 'UP'])),
    usedBy: ['api@file', 'broken@file'],
  },
  {
    name: 'static@file',
    provider: 'file',
    status: 'enabled',
    type: 'loadbalancer',
    loadBalancer: { servers: [{ url: staticServer }] },
    serverStatus: { [staticServer]: 'UP' },
    usedBy: ['static@file'],
  },
];
const middlewares = [
  {
    name: 'strip-api@file',
    provider: 'file',
    status: 'enabled',
    type: 'stripprefix',
    stripPrefix: { prefixes: ['/api'] },
    usedBy: ['api@file'],
  },
];

// Cumulative counters, advanced by a fake round-robin load.
const counts = new Map<string, { requests: number; status: Record<string, number>; rate: number }>();
const recent: unknown[] = [];
let rr = 0;
function bump(key: string, status: number, n = 1) {
  const c = counts.get(key) ?? { requests: 0, status: {}, rate: 0 };
  c.requests += n;
  const cls = `${String(status)[0]}xx`;
  c.status[cls] = (c.status[cls] ?? 0) + n;
  counts.set(key, c);
}
function tick(): object {
  const now = Date.now();
  const load = Math.round(8 + 6 * Math.sin(now / 20000) + Math.random() * 4);
  const perKey = new Map<string, number>();
  for (let i = 0; i < load; i++) {
    const dynamic = Math.random() < 0.8;
    const server = dynamic ? (servers[rr++ % replicas] as string) : staticServer;
    const status = Math.random() < 0.03 ? 502 : Math.random() < 0.05 ? 404 : 200;
    const router = dynamic ? 'api@file' : 'static@file';
    const service = dynamic ? 'dynamic@file' : 'static@file';
    for (const k of [router, service, server]) {
      bump(k, status);
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    recent.push({
      time: now - 1000 + i * (1000 / load),
      method: 'GET',
      host: 'localhost',
      path: dynamic ? '/api/departures' : '/',
      router,
      service,
      server,
      status,
      durationMs: 2 + Math.random() * 8,
    });
  }
  recent.splice(0, Math.max(0, recent.length - 30));
  const stat = (k: string) => {
    const c = counts.get(k) ?? { requests: 0, status: {} };
    return {
      requests: c.requests,
      rate: perKey.get(k) ?? 0,
      status: c.status,
      p50: 3 + Math.random(),
      p99: 9 + Math.random() * 5,
    };
  };
  return {
    time: now,
    entryPoints: { web: { requests: 0, rate: load, inFlight: Math.round(Math.random() * 3) } },
    routers: { 'api@file': { ...stat('api@file'), bytesOut: 123456 }, 'static@file': stat('static@file') },
    services: { 'dynamic@file': stat('dynamic@file'), 'static@file': stat('static@file') },
    servers: Object.fromEntries(
      [...servers.slice(0, replicas), staticServer].map((u) => [
        u,
        { ...stat(u), service: u === staticServer ? 'static@file' : 'dynamic@file', inFlight: 0, health: 'UP' },
      ]),
    ),
    recent: [...recent],
  };
}
let latest = tick();
const clients = new Set<ServerResponse>();
setInterval(() => {
  latest = tick();
  for (const res of clients) res.write(`event: stats\ndata: ${JSON.stringify(latest)}\n\n`);
}, 1000);

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/api/overview') {
    return json(res, 200, {
      http: {
        routers: { total: 3, warnings: 0, errors: 1 },
        services: { total: 2, warnings: 0, errors: 0 },
        middlewares: { total: 1, warnings: 0, errors: 0 },
      },
      providers: ['File'],
    });
  }
  if (path === '/api/entrypoints')
    return json(res, 200, [
      { name: 'web', address: ':80' },
      { name: 'traefik', address: ':8080' },
    ]);
  if (path === '/api/http/routers') return json(res, 200, routers);
  if (path === '/api/http/services') return json(res, 200, services());
  if (path === '/api/http/middlewares') return json(res, 200, middlewares);
  if (path === '/api/version') return json(res, 200, { Version: 'dev', Codename: 'switchyard' });
  if (path === '/api/providers/failures') return json(res, 200, []);
  if (path === '/api/stats') return json(res, 200, latest);
  if (path === '/api/stack') {
    return json(res, 200, {
      services: [
        {
          name: 'dynamic-server',
          scale: replicas,
          running: replicas,
          replicas: servers
            .slice(0, replicas)
            .map((u, i) => ({ id: `dynamic-server-${i + 1}`, state: 'running', url: u })),
        },
      ],
    });
  }
  const scale = /^\/api\/stack\/services\/[^/]+\/scale$/.exec(path);
  if (scale && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      replicas = Math.max(1, Math.min(servers.length, Number(JSON.parse(body).replicas)));
      json(res, 200, { replicas });
    });
    return;
  }
  if (path.startsWith('/api/stack/replicas/') && req.method === 'POST') return json(res, 200, { ok: true });
  if (path === '/api/live') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(`event: stats\ndata: ${JSON.stringify(latest)}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
    return;
  }
  if (path.startsWith('/api/')) return json(res, 404, { message: 'not found' });
  const ctx = { req, res, path, query: url.search.slice(1) } as unknown as RequestContext;
  dashboard(ctx);
}).listen(port, '127.0.0.1', () => console.log(`fake Switchyard dashboard on http://127.0.0.1:${port}/dashboard/`));
