/**
 * HTTP/2 abuse on an h2c entry point (issue #14): rapid reset (CVE-2023-44487's shape), more
 * streams than SETTINGS_MAX_CONCURRENT_STREAMS, oversized header lists, broken frames. Each gets
 * the protocol's answer (GOAWAY, RST_STREAM, 431) on its own connection, and another client is
 * served meanwhile; the proxy runs in a child process so a crash fails the case, not the suite.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { h2Once } from '../helpers/h2.js';
import {
  ERROR,
  FRAME,
  frame,
  opening,
  type ParsedFrame,
  rawH2,
  requestFrame,
  resetFrame,
  staticStatus,
} from '../helpers/h2-frames.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

const MAX_STREAMS = 8;

function goaway(frames: ParsedFrame[]): { code: number } | null {
  const found = frames.find((f) => f.type === FRAME.GOAWAY);
  return found === undefined ? null : { code: found.payload.readUInt32BE(4) };
}

function resets(frames: ParsedFrame[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const f of frames) if (f.type === FRAME.RST_STREAM) out.set(f.streamId, f.payload.readUInt32BE(0));
  return out;
}

function statuses(frames: ParsedFrame[]): Map<number, number | null> {
  const out = new Map<number, number | null>();
  for (const f of frames) if (f.type === FRAME.HEADERS) out.set(f.streamId, staticStatus(f.payload));
  return out;
}

describe('HTTP/2 abuse bounds (h2c entry point)', () => {
  let slow: Backend;
  let fast: Backend;
  let proxy: ChildProxy;

  before(async () => {
    // Answers after 200 ms, so streams are still in flight when the client misbehaves.
    slow = await startBackend('slow', (_req: IncomingMessage, res: ServerResponse) => {
      setTimeout(() => res.end('slow'), 200);
    });
    fast = await startBackend('fast');
    proxy = await startChildProxy(
      {
        http: {
          routers: {
            slow: { rule: 'PathPrefix(`/slow`)', service: 'slow' },
            health: { rule: 'PathPrefix(`/`)', service: 'fast' },
          },
          services: {
            slow: { loadBalancer: { servers: [{ url: slow.url }] } },
            fast: { loadBalancer: { servers: [{ url: fast.url }] } },
          },
        },
      },
      [
        `--entryPoints.web.http2.maxConcurrentStreams=${MAX_STREAMS}`,
        '--entryPoints.web.http.maxHeaderCount=20',
        '--entryPoints.web.http.maxHeaderBytes=4096',
        // A connection nghttp2 answered with GOAWAY for a broken frame is no longer read, and Node
        // says nothing of it: the idle timeout closes it (short here so the leak check can pass).
        '--entryPoints.web.transport.respondingTimeouts.idleTimeout=1s',
        '--entryPoints.web.transport.respondingTimeouts.readTimeout=1s',
      ],
    );
  });

  after(async () => {
    await proxy?.stop();
    await slow.close();
    await fast.close();
  });

  it('bounds rapid reset: streams opened and reset in a loop get GOAWAY, others are served', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const before = slow.hits;
    const conn = await rawH2(proxy.port);
    conn.write(opening());
    // 5,000 streams, each reset at once: within the concurrency limit at every moment.
    const batch: Buffer[] = [];
    for (let i = 0; i < 5_000; i++) {
      const id = 1 + 2 * i;
      batch.push(requestFrame(id, `/slow/${i}`), resetFrame(id, ERROR.CANCEL));
    }
    conn.write(Buffer.concat(batch));
    const frames = await conn.until((f) => goaway(f) !== null, 5_000);
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2_000))]);
    const answer = goaway(frames);
    // Ours (ENHANCE_YOUR_CALM) or Node's own nghttp2 limit, whichever counts first.
    assert.ok(answer !== null, 'no GOAWAY');
    assert.ok(conn.socket.destroyed || conn.socket.readableEnded, 'the connection stays open');
    // Another client is served meanwhile.
    const other = await h2Once(`http://127.0.0.1:${proxy.port}`, { ':path': '/other', ':authority': 'h.test' });
    assert.equal(other.status, 200);
    // The work the reset streams caused is bounded by the budget, far below 5,000.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(slow.hits - before < 1_000, `${slow.hits - before} requests reached the server`);
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('refuses streams beyond maxConcurrentStreams with REFUSED_STREAM, and answers the others', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    // Before the client acknowledged the server's SETTINGS, streams beyond the limit it could
    // not know yet are refused one by one (RFC 9113 §5.1.2).
    conn.write(opening());
    const ids = Array.from({ length: MAX_STREAMS + 4 }, (_, i) => 1 + 2 * i);
    conn.write(Buffer.concat(ids.map((id) => requestFrame(id, `/slow/${id}`))));
    const frames = await conn.until((f) => {
      const answered = statuses(f).size + resets(f).size;
      return answered >= ids.length || goaway(f) !== null;
    }, 5_000);
    const refused = [...resets(frames).entries()].filter(([, code]) => code === ERROR.REFUSED_STREAM);
    const answered = [...statuses(frames).values()].filter((s) => s === 200);
    assert.equal(
      answered.length,
      MAX_STREAMS,
      `answered ${answered.length}, resets ${JSON.stringify([...resets(frames)])}`,
    );
    assert.equal(refused.length, 4);
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('closes the connection of a client that exceeds the limit it acknowledged, and serves others', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    conn.write(opening());
    await conn.until((f) => f.some((x) => x.type === FRAME.SETTINGS && (x.flags & 1) === 0), 2_000);
    conn.write(frame(FRAME.SETTINGS, 0x1, 0));
    const ids = Array.from({ length: MAX_STREAMS + 4 }, (_, i) => 1 + 2 * i);
    conn.write(Buffer.concat(ids.map((id) => requestFrame(id, `/slow/${id}`))));
    const frames = await conn.until((f) => goaway(f) !== null, 5_000);
    assert.ok(goaway(frames) !== null, 'no GOAWAY');
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2_000))]);
    assert.ok(conn.socket.destroyed || conn.socket.readableEnded, 'the connection stays open');
    const other = await h2Once(`http://127.0.0.1:${proxy.port}`, { ':path': '/other', ':authority': 'h.test' });
    assert.equal(other.status, 200);
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('answers 431 to more header fields than maxHeaderCount, on that stream only', { timeout: 15_000 }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    conn.write(opening());
    const many = Array.from({ length: 21 }, (_, i) => [`x-h${i}`, String(i)] as [string, string]);
    conn.write(Buffer.concat([requestFrame(1, '/a', many), requestFrame(3, '/b')]));
    const frames = await conn.until((f) => statuses(f).size >= 2, 3_000);
    const got = statuses(frames);
    assert.equal(got.get(1), 431);
    assert.equal(got.get(3), 200);
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('answers 431 to a header list larger than maxHeaderBytes, and serves the next stream', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    conn.write(opening());
    // 6 KiB of header values (one frame) against maxHeaderBytes = 4 KiB.
    conn.write(
      requestFrame(1, '/a', [
        ['x-big', 'a'.repeat(3_000)],
        ['x-big2', 'b'.repeat(3_000)],
      ]),
    );
    let frames = await conn.until((f) => resets(f).has(1) || statuses(f).has(1) || goaway(f) !== null, 3_000);
    const refusal = resets(frames).get(1) ?? statuses(frames).get(1) ?? goaway(frames)?.code;
    assert.equal(refusal, 431);
    if (goaway(frames) === null) {
      conn.write(requestFrame(3, '/b'));
      frames = await conn.until((f) => statuses(f).has(3), 3_000);
      assert.equal(statuses(frames).get(3), 200);
    }
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('answers broken frames with GOAWAY (PROTOCOL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR; INTERNAL_ERROR from Node for some)', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const cases: Array<[string, Buffer]> = [
      ['DATA on stream 0', frame(FRAME.DATA, 0, 0, Buffer.from('x'))],
      ['SETTINGS with a partial entry', frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 3, 0]))],
      ['HEADERS on an even (server) stream id', requestFrame(2, '/x')],
      ['a header block that is no HPACK', frame(FRAME.HEADERS, 0x5, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]))],
    ];
    for (const [name, bytes] of cases) {
      const conn = await rawH2(proxy.port);
      conn.write(Buffer.concat([opening(), bytes]));
      const frames = await conn.until((f) => goaway(f) !== null, 3_000);
      const answer = goaway(frames);
      assert.ok(answer !== null, `${name}: no GOAWAY`);
      assert.ok(
        // Node reports some protocol errors as a session error and sends INTERNAL_ERROR for them.
        [ERROR.PROTOCOL_ERROR, ERROR.INTERNAL_ERROR, ERROR.FRAME_SIZE_ERROR, ERROR.COMPRESSION_ERROR].includes(
          answer.code as 1,
        ),
        `${name}: GOAWAY code ${answer.code}`,
      );
      // Node stops reading such a connection but closes it only when it idles out (no event).
      conn.destroy();
    }
    await assertProxyHealthy(proxy);
  });

  it('answers 408 to a request body that stops coming (readTimeout), on that stream only', {
    timeout: 15_000,
  }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    conn.write(opening());
    // A POST whose body never comes, then a GET on the same connection.
    conn.write(requestFrame(1, '/stalled', [['content-length', '100']], true));
    conn.write(frame(FRAME.DATA, 0, 1, Buffer.from('only part of it')));
    const frames = await conn.until((f) => statuses(f).has(1) || resets(f).has(1), 5_000);
    assert.equal(statuses(frames).get(1), 408, `resets ${JSON.stringify([...resets(frames)])}`);
    conn.write(requestFrame(3, '/after'));
    const after = await conn.until((f) => statuses(f).has(3), 3_000);
    assert.equal(statuses(after).get(3), 200);
    conn.destroy();
    await assertProxyHealthy(proxy);
  });

  it('answers GOAWAY to a connection that sends the preface and then HTTP/1.1', { timeout: 15_000 }, async () => {
    await freshIfCrashed(proxy);
    const conn = await rawH2(proxy.port);
    conn.write(Buffer.concat([opening(), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]));
    const frames = await conn.until((f) => goaway(f) !== null, 3_000);
    assert.ok(goaway(frames) !== null, 'no GOAWAY');
    conn.destroy();
    await assertProxyHealthy(proxy);
  });
});

describe("HTTP/2: failing servers do not count as a client's resets", () => {
  it('cuts 150 answers a server breaks mid-body on one connection without a GOAWAY, and the healthy stream finishes', {
    timeout: 20_000,
  }, async () => {
    const { createServer } = await import('node:http');
    const { connect, constants } = await import('node:http2');
    // /slow answers in two parts 1.5 s apart; anything else sends half a body and dies.
    const server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200);
        res.write('x');
        setTimeout(() => res.end('y'), 1_500);
        return;
      }
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const proxy = await startChildProxy({
      http: {
        routers: { all: { rule: 'PathPrefix(`/`)', service: 'breaking' } },
        services: { breaking: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } } },
      },
    });
    const session = connect(`http://127.0.0.1:${proxy.port}`);
    try {
      let goawayCode: number | null = null;
      session.on('goaway', (code) => {
        goawayCode = code;
      });
      session.on('error', () => undefined);
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      const healthy = new Promise<string>((resolve) => {
        const stream = session.request({ ':path': '/slow' });
        let body = '';
        stream.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        stream.on('error', () => undefined);
        stream.on('close', () => resolve(body));
      });
      const cut = Array.from(
        { length: 150 },
        (_, i) =>
          new Promise<number>((resolve) => {
            const stream = session.request({ ':path': `/bad/${i}` });
            stream.on('error', () => undefined);
            stream.resume();
            stream.on('close', () => resolve(stream.rstCode ?? 0));
          }),
      );
      const codes = await Promise.all(cut);
      assert.ok(
        codes.every((code) => code !== constants.NGHTTP2_NO_ERROR),
        'each broken answer is cut (reset), not ended as if whole',
      );
      assert.equal(await healthy, 'xy');
      assert.notEqual(goawayCode, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    } finally {
      session.destroy();
      await proxy.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
