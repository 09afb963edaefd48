#!/usr/bin/env node
// Reference, not a peer: the floor of any Node.js proxy. A byte relay with no HTTP at all —
// each client connection gets its own upstream connection (round-robin per connection) and
// bytes are piped both ways. Whatever a Node.js HTTP proxy spends per request, it spends at
// least this: the socket reads and writes, through libuv and Node's stream layer.
//   node bench/peers/node-tcp-floor.mjs PORT http://127.0.0.1:A http://127.0.0.1:B
import net from 'node:net';

const port = Number(process.argv[2]);
const backends = process.argv.slice(3).map((url) => new URL(url));
if (!port || backends.length === 0) {
  console.error('usage: node-tcp-floor.mjs PORT BACKEND_URL...');
  process.exit(2);
}

let next = 0;
const server = net.createServer((client) => {
  const target = backends[next];
  next = (next + 1) % backends.length;
  const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(port, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
