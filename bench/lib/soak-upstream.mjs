#!/usr/bin/env node
// The soak's misbehaving upstream, one process:   node bench/lib/soak-upstream.mjs PORT
//   GET  /stream?id=N        200, 4 MiB sent slowly (16 KiB every 20 ms): clients abort it midway
//   POST /upload?id=N        reads the body, answers its size: clients disconnect mid-body
//   GET  /hostile/stall?id=N never answers (the proxy's responseHeaderTimeout must fire)
//   GET  /hostile/early-close closes the connection without a byte
//   GET  /hostile/poison-lf  a response head with a bare LF inside a header value
//   GET  /hostile/poison-nul a response head with a NUL inside a header value
//   GET  /open?id=N          (asked directly, not through the proxy) whether request N is still
//                            open here: the proxy must free the upstream request once its client
//                            has gone, or upstream sockets leak
import http from 'node:http';

const port = Number(process.argv[2]);
const open = new Set(); // ids of /stream, /upload and /stall requests not yet closed
const CHUNK = Buffer.alloc(16 * 1024, 'x');
const STREAM_BYTES = 4 * 1024 * 1024;

// Raw bytes, because node:http refuses to write invalid header values: the point is to send them.
const POISON = {
  'poison-lf': 'HTTP/1.1 200 OK\r\nX-Poison: a\nb\r\nContent-Length: 2\r\n\r\nok',
  'poison-nul': 'HTTP/1.1 200 OK\r\nX-Poison: a\0b\r\nContent-Length: 2\r\n\r\nok',
};

function track(id, res) {
  open.add(id);
  // 'close' on the response fires when it finished or when its connection went away.
  res.once('close', () => open.delete(id));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const id = url.searchParams.get('id') ?? '';
  const route = url.pathname;
  if (route === '/open') {
    res.end(JSON.stringify({ open: open.has(id), count: open.size }));
  } else if (route === '/stream') {
    track(id, res);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': STREAM_BYTES });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= STREAM_BYTES) return clearInterval(timer);
      res.write(CHUNK);
      sent += CHUNK.length;
      if (sent >= STREAM_BYTES) res.end();
    }, 20);
    res.once('close', () => clearInterval(timer));
  } else if (route === '/upload') {
    track(id, res);
    let bytes = 0;
    req.on('data', (c) => {
      bytes += c.length;
    });
    req.on('end', () => res.end(String(bytes)));
  } else if (route === '/hostile/stall') {
    track(id, res);
  } else if (route === '/hostile/early-close') {
    req.socket.destroy();
  } else if (POISON[route.slice('/hostile/'.length)]) {
    req.socket.end(POISON[route.slice('/hostile/'.length)]);
  } else {
    res.writeHead(404).end();
  }
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => console.log(`soak upstream listening on 127.0.0.1:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.closeAllConnections();
    process.exit(0);
  });
}
