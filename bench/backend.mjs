#!/usr/bin/env node
// A benchmark backend: plain node:http, keep-alive, precomputed bodies.
//   node bench/backend.mjs PORT [ID]
// GET /api -> ~200 bytes of JSON naming this backend; GET /big -> 64 KiB; anything else -> 404.
import http from 'node:http';
import { apiBody, bigBody } from './lib/payload.mjs';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node bench/backend.mjs PORT [ID]');
  process.exit(2);
}
const id = process.argv[3] || `backend-${port}`;
const api = apiBody(id);
const big = bigBody();
const apiHeaders = { 'content-type': 'application/json', 'content-length': String(api.length) };
const bigHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(big.length) };
const notFound = Buffer.from('not found\n');

const server = http.createServer((req, res) => {
  const url = req.url;
  if (url === '/api' || url.startsWith('/api?')) {
    res.writeHead(200, apiHeaders);
    res.end(api);
  } else if (url === '/big' || url.startsWith('/big?')) {
    res.writeHead(200, bigHeaders);
    res.end(big);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': String(notFound.length) });
    res.end(notFound);
  }
});
// Proxies keep idle upstream connections for a while; do not close them under their feet.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => {
  console.log(`${id} listening on 127.0.0.1:${port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
