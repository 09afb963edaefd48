#!/usr/bin/env node
// Peer: node:http server + http-proxy 1.18 with a keep-alive agent, round-robin.
//   node bench/peers/http-proxy.mjs PORT http://127.0.0.1:A http://127.0.0.1:B
import http from 'node:http';
import httpProxy from 'http-proxy';

const port = Number(process.argv[2]);
const backends = process.argv.slice(3);
if (!port || backends.length === 0) {
  console.error('usage: http-proxy.mjs PORT BACKEND_URL...');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 128, keepAliveMsecs: 60_000 });
const proxy = httpProxy.createProxyServer({ agent, xfwd: false });
proxy.on('error', (_err, _req, res) => {
  if (res && typeof res.writeHead === 'function' && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain' });
  }
  res?.end?.('bad gateway\n');
});
const targets = backends.map((target) => ({ target }));
let next = 0;
const server = http.createServer((req, res) => {
  const options = targets[next];
  next = (next + 1) % targets.length;
  proxy.web(req, res, options);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.listen(port, '127.0.0.1', () => console.log(`http-proxy listening on 127.0.0.1:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    agent.destroy();
    process.exit(0);
  });
}
