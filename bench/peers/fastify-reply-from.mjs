#!/usr/bin/env node
// Peer: fastify 5 + @fastify/reply-from (undici), round-robin across backends.
//   node bench/peers/fastify-reply-from.mjs PORT http://127.0.0.1:A http://127.0.0.1:B
// reply-from without `base` dispatches through one undici Agent, which keeps one keep-alive
// Pool per backend origin; the handler picks the origin in turn.
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const backends = process.argv.slice(3).map((u) => u.replace(/\/+$/, ''));
if (!port || backends.length === 0) {
  console.error('usage: fastify-reply-from.mjs PORT BACKEND_URL...');
  process.exit(2);
}

const app = Fastify({ logger: false });
await app.register(replyFrom, {
  undici: { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 },
});
let next = 0;
app.all('/*', (request, reply) => {
  const target = backends[next];
  next = (next + 1) % backends.length;
  return reply.from(target + request.raw.url);
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify-reply-from listening on 127.0.0.1:${port}`);
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    app.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
