#!/usr/bin/env node
// What the request-path checks of issue #11 cost per request, measured in isolation (no sockets,
// so the figure does not drift with the machine's load as wrk runs do): the upstream response
// reader on a typical ~200-byte answer, and the request checks (version, header count, Host,
// transfer coding, encoded characters, path cleaning) on a typical request. With
// `SWITCHYARD_REF=<checkout with a built dist/>` the reference build's reader is timed too.
//   npm run build && node bench/validation-cost.mjs [--iterations 2000000]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({ options: { iterations: { type: 'string', default: '2000000' } } });
const iterations = Number(values.iterations);

const load = (root, file) => import(pathToFileURL(path.join(root, 'dist/src', file)).href);
const root = path.resolve(here, '..');

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 06 Dec 2026 06:00:00 GMT\r\n' +
    'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Backend: b1\r\nContent-Length: 200\r\n\r\n' +
    'x'.repeat(200),
  'latin1',
);
const sink = { onResponseHead() {}, onResponseBody() {}, onResponseEnd() {} };

/** Nanoseconds per call of fn, best of 5 runs (the least disturbed by other work on the machine). */
function time(fn) {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  return best;
}

async function readerCost(base) {
  const { ResponseReader } = await load(base, 'proxy/response-reader.js');
  const reader = new ResponseReader();
  return time(() => {
    reader.begin(true);
    reader.push(RESPONSE, sink, false);
  });
}

const rows = [['response reader, 200 B answer with 7 headers', await readerCost(root)]];
if (process.env.SWITCHYARD_REF) {
  rows.push(['response reader, reference build', await readerCost(path.resolve(process.env.SWITCHYARD_REF))]);
}

const { requestProblem } = await load(root, 'server/request-checks.js');
const { refusedEscape, sanitizePath } = await load(root, 'rules/sanitize-path.js');
const request = {
  httpVersionMajor: 1,
  rawHeaders: [
    'Host',
    'localhost:8000',
    'User-Agent',
    'Mozilla/5.0',
    'Accept',
    '*/*',
    'Accept-Encoding',
    'gzip',
    'Cookie',
    'sy_session=abc',
  ],
  headers: { host: 'localhost:8000' },
};
const paths = ['/api/departures', '/static/app.js', '/api/session'];
rows.push([
  'request checks + encoded characters + path cleaning, typical request',
  time((i) => {
    requestProblem(request, 100);
    const p = paths[i % 3];
    refusedEscape(p, 0);
    sanitizePath(p);
  }),
]);
rows.push(['path cleaning of /x/../admin//%41b (the slow path)', time(() => sanitizePath('/x/../admin//%41b'))]);

console.log(`| what | ns per call (best of 5 × ${iterations.toLocaleString('en')}) |`);
console.log('|---|---:|');
for (const [what, ns] of rows) console.log(`| ${what} | ${ns.toFixed(1)} |`);
