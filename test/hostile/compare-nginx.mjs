#!/usr/bin/env node
/**
 * Sends the client-side hostile corpus (client-corpus.ts) to Switchyard and to nginx, side by
 * side in front of the same recording backends, and prints a table: what the client got and what
 * the backends saw from each, whether they agree, and whether each meets Switchyard's target
 * behaviour. Run by command, not in CI: `npm run compare:nginx` (builds first), or
 * `node test/hostile/compare-nginx.mjs` after `npm run build`. nginx: $NGINX or /usr/sbin/nginx
 * (Debian `nginx-light`); without it the script says so and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';
if (!existsSync(NGINX)) {
  console.log(`nginx is not installed (${NGINX} is missing): install nginx-light to compare. Nothing to do.`);
  process.exit(0);
}

const dist = new URL('../../dist/test/', import.meta.url);
if (!existsSync(new URL('hostile/client-corpus.js', dist))) {
  console.error('dist/test/hostile is missing: run `npm run build` first.');
  process.exit(1);
}
const corpus = await import(new URL('hostile/client-corpus.js', dist).href);
const { startChildProxy } = await import(new URL('helpers/child-proxy.js', dist).href);
const { describeExchange, rawExchange } = await import(new URL('helpers/raw-socket.js', dist).href);
const { freePort } = await import(new URL('helpers/ports.js', dist).href);

const backends = await corpus.startCorpusBackends();
const switchyard = await startChildProxy(corpus.corpusConfig(backends));
const nginx = await startNginx(backends);

const rows = [];
try {
  for (const c of corpus.clientCorpus()) {
    const row = { name: c.name };
    for (const [key, port] of [
      ['switchyard', switchyard.port],
      ['nginx', nginx.port],
    ]) {
      if (key === 'switchyard') await switchyard.ensure();
      corpus.resetBackends(backends);
      const exchange = await corpus.runCase(key === 'switchyard' ? switchyard.port : port, c);
      const seen = corpus.seenBy(backends);
      const bytesOnly = seen.length === 0 && backends.A.received().length + backends.B.received().length > 0;
      let target = true;
      try {
        corpus.verifyCase(c, exchange, backends);
      } catch {
        target = false;
      }
      row[key] = {
        client: describeExchange(exchange),
        backend: bytesOnly ? 'bytes (unparsed)' : corpus.describeSeen(seen),
        target,
      };
    }
    rows.push(row);
  }
} finally {
  await switchyard.stop();
  nginx.stop();
  await Promise.all([backends.A.close(), backends.B.close(), backends.C.close()]);
  await rm(nginx.dir, { recursive: true, force: true });
}

const cell = (v) => `${v.client} / ${v.backend}${v.target ? '' : ' ✗'}`;
const escapePipes = (text) => text.replaceAll('|', '\\|');
console.log('| case | Switchyard: client / backend saw | nginx: client / backend saw | same? |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) {
  const same = row.switchyard.client === row.nginx.client && row.switchyard.backend === row.nginx.backend;
  console.log(
    `| ${escapePipes(row.name)} | ${escapePipes(cell(row.switchyard))} | ${escapePipes(cell(row.nginx))} | ${same ? 'yes' : 'no'} |`,
  );
}
const met = (key) => rows.filter((row) => row[key].target).length;
console.log(
  `\n✗ = misses Switchyard's target behaviour. Switchyard meets it in ${met('switchyard')}/${rows.length} cases, nginx in ${met('nginx')}/${rows.length}.`,
);

/** Starts nginx (one process, no daemon) with the corpus's routing. */
async function startNginx({ A, B, C }) {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-nginx-'));
  const port = await freePort();
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, sub));
  const proxied = (
    url,
  ) => `proxy_pass ${url}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Real-IP $remote_addr;`;
  const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} default_server;
    server_name h.test;
    location /h2c { ${proxied(C.url)} }
    location /admin { ${proxied(A.url)} }
    location / { ${proxied(B.url)} }
  }
  server { listen 127.0.0.1:${port}; server_name a.test; location / { ${proxied(A.url)} } }
  server { listen 127.0.0.1:${port}; server_name admin.test; location / { ${proxied(B.url)} } }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const deadline = Date.now() + 5000;
  for (;;) {
    const probe = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n', {
      timeout: 500,
    });
    if (probe.finals.length > 0) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, dir, stop: () => child.kill('SIGTERM') };
}
