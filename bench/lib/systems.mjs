// The systems under test: how to configure and start each one for a turn.
// Each `launch(ctx)` writes what it needs into ctx.dir and returns { cmd, args } for a
// process listening on 127.0.0.1:ctx.port that round-robins over ctx.backends with
// upstream keep-alive; `baseline` starts nothing and is measured straight at one backend.
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const benchDir = path.resolve(here, '..');
const repoRoot = path.resolve(benchDir, '..');

const cliMain = path.join(repoRoot, 'dist/src/cli/main.js');

/**
 * How to start the `switchyard` bin as users get it: node plus the flags on the bin's
 * shebang line (`#!/usr/bin/env -S node --flag…`), then the script.
 */
export function switchyardCommand(main = cliMain) {
  let flags = [];
  try {
    const first = fs.readFileSync(main, 'utf8').split('\n', 1)[0];
    const match = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first);
    if (match) flags = match[1].trim().split(/\s+/);
  } catch {
    // Not built yet: the caller reports the missing file.
  }
  return { cmd: process.execPath, args: [...flags, main] };
}

/**
 * The reference build for before/after runs: `SWITCHYARD_REF=/path/to/other/checkout` (built with
 * `npm run build`), e.g. a `git worktree` of the previous commit. Measured in the same run, in
 * turns with the current build, so both see the same machine.
 */
function referenceMain() {
  const root = process.env.SWITCHYARD_REF;
  if (!root) throw new Error('switchyard-ref needs SWITCHYARD_REF=<checkout with a built dist/>');
  return path.join(path.resolve(root), 'dist/src/cli/main.js');
}

function hostPort(url) {
  return new URL(url).host;
}

function switchyard(workers, extraNodeFlags = [], main = () => cliMain) {
  return (ctx) => {
    const dynamicFile = path.join(ctx.dir, 'dynamic.yml');
    const staticFile = path.join(ctx.dir, 'switchyard.yml');
    const servers = ctx.backends.map((u) => `          - url: "${u}"`).join('\n');
    fs.writeFileSync(
      dynamicFile,
      `http:
  routers:
    bench:
      rule: "PathPrefix(\`/\`)"
      entryPoints:
        - web
      service: bench
  services:
    bench:
      loadBalancer:
        servers:
${servers}
`,
    );
    fs.writeFileSync(
      staticFile,
      `entryPoints:
  web:
    address: "127.0.0.1:${ctx.port}"
providers:
  file:
    filename: "${dynamicFile}"
log:
  level: ERROR
`,
    );
    const { cmd, args } = switchyardCommand(main());
    args.unshift(...extraNodeFlags);
    args.push('--configFile', staticFile);
    if (workers) args.push(`--workers=${workers}`);
    // HTTP/2 targets for the h2load row: h2c with prior knowledge on the same plaintext port.
    // An HTTP/2-over-TLS target is one more entry here ({ name: 'h2', url: 'https://…' }).
    return { cmd, args, cwd: repoRoot, h2: [{ name: 'h2c', url: `http://127.0.0.1:${ctx.port}` }] };
  };
}

function nodePeer(file) {
  return (ctx) => ({
    cmd: process.execPath,
    args: [path.join(benchDir, 'peers', file), String(ctx.port), ...ctx.backends],
    cwd: repoRoot,
  });
}

function nginx(ctx) {
  const conf = path.join(ctx.dir, 'nginx.conf');
  const t = (name) => path.join(ctx.dir, name);
  fs.writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${t('nginx.pid')};
error_log ${t('nginx-error.log')} error;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  keepalive_requests 100000;
  upstream bench {
${ctx.backends.map((u) => `    server ${hostPort(u)};`).join('\n')}
    keepalive 64;
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${ctx.port};
    # nginx 1.22 serves h2c (prior knowledge only) on a listen socket of its own.
    listen 127.0.0.1:${ctx.h2Port} http2;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffers 16 8k;
    }
  }
}
`,
  );
  return {
    cmd: ctx.bin.nginx,
    args: ['-p', ctx.dir, '-c', conf, '-e', t('nginx-error.log')],
    h2: [{ name: 'h2c', url: `http://127.0.0.1:${ctx.h2Port}` }],
  };
}

function haproxy(ctx) {
  const cfg = path.join(ctx.dir, 'haproxy.cfg');
  fs.writeFileSync(
    cfg,
    `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend web
  bind 127.0.0.1:${ctx.port}
  default_backend bench

backend bench
  balance roundrobin
${ctx.backends.map((u, i) => `  server b${i + 1} ${hostPort(u)}`).join('\n')}
`,
  );
  return { cmd: ctx.bin.haproxy, args: ['-f', cfg, '-db'] };
}

/** Every known system, in the order they run in a round. */
export const SYSTEMS = [
  { name: 'baseline', label: 'no proxy (one backend)', launch: null },
  { name: 'switchyard', label: 'Switchyard', launch: switchyard(0) },
  { name: 'switchyard-2w', label: 'Switchyard, --workers=2', launch: switchyard(2) },
  // The memory-lean way to run it (docs/performance.md): V8 favours size over speed. Not in
  // the default set.
  {
    name: 'switchyard-lean',
    label: 'Switchyard, node --optimize-for-size',
    launch: switchyard(0, ['--optimize-for-size']),
    optional: true,
  },
  // Before/after: the build in SWITCHYARD_REF (not in the default set).
  {
    name: 'switchyard-ref',
    label: 'Switchyard, reference build (SWITCHYARD_REF)',
    launch: switchyard(0, [], referenceMain),
    optional: true,
  },
  { name: 'nginx', label: 'nginx, 1 worker', launch: nginx, needs: 'nginx' },
  { name: 'haproxy', label: 'HAProxy, 1 thread', launch: haproxy, needs: 'haproxy' },
  { name: 'fastify-reply-from', label: 'fastify + @fastify/reply-from', launch: nodePeer('fastify-reply-from.mjs') },
  { name: 'http-proxy', label: 'http-proxy 1.18', launch: nodePeer('http-proxy.mjs') },
  // Reference: a byte relay with no HTTP (one upstream connection per client connection), the
  // floor under any Node.js proxy's CPU per request. Not in the default set.
  {
    name: 'node-tcp-floor',
    label: 'Node.js TCP byte relay (floor)',
    launch: nodePeer('node-tcp-floor.mjs'),
    spreadsRequests: false,
    optional: true,
  },
];

export { repoRoot };
