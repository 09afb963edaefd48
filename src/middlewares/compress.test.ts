import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { send } from '../../test/helpers/http.js';
import { buildContext } from '../../test/helpers/middleware-harness.js';
import { MiddlewareError } from '../errors.js';
import { buildMiddleware } from './registry.js';
import type { RequestContext } from './types.js';

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(200);

/** The terminal handler answers what the query asks for. */
function terminal(ctx: RequestContext): void {
  const q = new URLSearchParams(ctx.query);
  const res = ctx.res;
  const body = q.has('small') ? 'tiny' : TEXT;
  const headers: Record<string, string> = { 'content-type': q.get('type') ?? 'text/plain; charset=utf-8' };
  if (q.has('encoded')) headers['content-encoding'] = 'br';
  if (q.has('range')) headers['content-range'] = `bytes 0-${body.length - 1}/${body.length * 2}`;
  if (q.has('vary')) headers.vary = q.get('vary')!;
  if (q.has('chunked')) {
    // No length: written in pieces, as a streamed answer.
    res.writeHead(Number(q.get('status') ?? 200), headers);
    const pieces = q.has('small') ? [body] : [body.slice(0, 100), body.slice(100, 5000), body.slice(5000)];
    for (const piece of pieces) res.write(piece);
    res.end();
    return;
  }
  if (q.has('progressive')) {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.statusCode = 201;
    res.end(body);
    return;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  headers['accept-ranges'] = 'bytes';
  res.writeHead(Number(q.get('status') ?? 200), headers);
  res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

async function serveCompress(options: Record<string, unknown>) {
  const wrapper = buildMiddleware('c', { compress: options }, buildContext('c'));
  const handler = wrapper(terminal);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    handler({
      req,
      res,
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? '' : url.slice(q + 1),
      host: '127.0.0.1',
      scheme: 'http',
      entryPoint: 'web',
      router: 'r',
      responseHeaders: null,
      strippedPrefix: null,
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('compress', () => {
  let base: string;
  let server: http.Server;
  before(async () => {
    ({ server, url: base } = await serveCompress({}));
  });
  after(() => server.close());

  it('gzips a response for a client that accepts gzip, with the compressed length and Vary', async () => {
    const r = await send(`${base}/?x`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    // Whole in one end(): compressed at once, so its length is known.
    assert.equal(r.headers['content-length'], String(r.body.length));
    assert.equal(r.headers['accept-ranges'], undefined);
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(zlib.gunzipSync(r.body).toString(), TEXT);
    assert.ok(r.body.length < TEXT.length / 10);
  });

  it('uses brotli when it weighs more', async () => {
    const r = await send(`${base}/`, { headers: { 'accept-encoding': 'gzip;q=0.5, br' } });
    assert.equal(r.headers['content-encoding'], 'br');
    assert.equal(zlib.brotliDecompressSync(r.body).toString(), TEXT);
  });

  it('compresses a streamed response once minResponseBodyBytes arrived', async () => {
    const r = await send(`${base}/?chunked`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(zlib.gunzipSync(r.body).toString(), TEXT);
  });

  it('sends a small streamed response as it is, with its length', async () => {
    const r = await send(`${base}/?chunked&small`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-length'], '4');
    assert.equal(r.text, 'tiny');
    assert.equal(r.headers.vary, 'Accept-Encoding');
  });

  it('keeps headers set with setHeader (repeated Set-Cookie included) and the status', async () => {
    const r = await send(`${base}/?progressive`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(zlib.gunzipSync(r.body).toString(), TEXT);
  });

  it('never compresses twice, a range, a small body, gRPC, or for a client that accepts nothing', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/?encoded', { 'accept-encoding': 'gzip' }],
      ['/?range', { 'accept-encoding': 'gzip' }],
      ['/?small', { 'accept-encoding': 'gzip' }],
      ['/?type=application/grpc', { 'accept-encoding': 'gzip' }],
      ['/', { 'accept-encoding': 'identity' }],
      ['/', { 'accept-encoding': '' }],
      ['/', {}],
    ];
    for (const [path, headers] of cases) {
      const r = await send(`${base}${path}`, { headers });
      assert.notEqual(r.headers['content-encoding'], 'gzip', path);
      assert.ok(r.headers['content-length'] !== undefined, path);
    }
  });

  it('leaves 204, 304 and HEAD alone', async () => {
    for (const status of [204, 304]) {
      const r = await send(`${base}/?status=${status}&chunked`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(r.status, status);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.body.length, 0);
    }
    const head = await send(`${base}/`, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(head.headers['content-encoding'], undefined);
    assert.equal(head.headers['content-length'], String(TEXT.length));
  });

  it('adds Accept-Encoding to the server Vary once', async () => {
    const r = await send(`${base}/?vary=Origin`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
    const again = await send(`${base}/?vary=accept-encoding`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(again.headers.vary, 'accept-encoding');
  });

  it('honours includedContentTypes, excludedContentTypes, defaultEncoding and minResponseBodyBytes', async () => {
    const only = await serveCompress({
      includedContentTypes: 'application/json',
      defaultEncoding: 'br',
      minResponseBodyBytes: 2,
    });
    try {
      const text = await send(`${only.url}/`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(text.headers['content-encoding'], undefined);
      const json = await send(`${only.url}/?type=application/json;charset=utf-8&small`);
      assert.equal(json.headers['content-encoding'], 'br', 'no Accept-Encoding: the default encoding');
      assert.equal(zlib.brotliDecompressSync(json.body).toString(), 'tiny');
    } finally {
      only.server.close();
    }
    const excluded = await serveCompress({ excludedContentTypes: ['text/plain'], encodings: ['br'] });
    try {
      const text = await send(`${excluded.url}/`, { headers: { 'accept-encoding': '*' } });
      assert.equal(text.headers['content-encoding'], undefined);
      const html = await send(`${excluded.url}/?type=text/html`, { headers: { 'accept-encoding': 'gzip, *;q=0.5' } });
      assert.equal(html.headers['content-encoding'], 'br');
    } finally {
      excluded.server.close();
    }
  });

  it('refuses bad options with the key path', () => {
    const bad = (options: Record<string, unknown>, text: RegExp) =>
      assert.throws(
        () => buildMiddleware('c', { compress: options }, buildContext('c')),
        (error: unknown) => error instanceof MiddlewareError && text.test(error.message),
      );
    bad({ encodings: ['deflate'] }, /http\.middlewares\.c\.compress\.encodings\.0: unsupported encoding/);
    bad({ encodings: [] }, /at least one encoding/);
    bad({ defaultEncoding: 'br', encodings: 'gzip' }, /compress\.defaultEncoding: unsupported default encoding/);
    bad({ excludedContentTypes: 'text/html', includedContentTypes: 'text/css' }, /mutually exclusive/);
    bad({ excludedContentTypes: 'not a type' }, /excludedContentTypes\.0: invalid media type/);
  });

  it('warns that zstd needs a newer Node when asked for it on this one', () => {
    const warnings: string[] = [];
    buildMiddleware(
      'c',
      { compress: { encodings: 'zstd,gzip' } },
      { ...buildContext('c'), warn: (m) => warnings.push(m) },
    );
    const hasZstd = typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === 'function';
    assert.equal(warnings.length, hasZstd ? 0 : 1);
    if (!hasZstd) assert.match(warnings[0]!, /encodings: zstd needs Node\.js 22\.15/);
  });
});
