/**
 * compress and buffering against hostile peers: a server that sends more (or less) than it
 * declared, a client that goes away while its body is being buffered. The proxy runs in a child
 * process (a crash fails the case, not the file); temporary files must not outlive the exchange.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { SPILL_PREFIX } from '../../src/middlewares/spill-buffer.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { type RawUpstream, startRawUpstream } from '../helpers/hostile-servers.js';
import { waitFor } from '../helpers/http.js';
import { describeExchange, headerOf, rawExchange } from '../helpers/raw-socket.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

async function spilled(): Promise<Set<string>> {
  return new Set((await readdir(tmpdir())).filter((name) => name.startsWith(SPILL_PREFIX)));
}

describe('hostile peers of compress and buffering', () => {
  let upstream: RawUpstream;
  let health: Backend;
  let proxy: ChildProxy;

  before(async () => {
    upstream = await startRawUpstream((path, socket) => {
      const declared = 2000;
      if (path === '/longer') {
        // Declares 2000 bytes, sends 3000: the extra must never reach the client nor a later response.
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${declared}\r\n\r\n`);
        socket.write(Buffer.alloc(3000, 'a'));
      } else if (path === '/shorter') {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${declared}\r\n\r\n`);
        socket.end(Buffer.alloc(1500, 'b'));
      } else if (path === '/fake-gzip') {
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 1500\r\n\r\n',
        );
        socket.write(Buffer.alloc(1500, 'z'));
      } else if (path === '/trickle') {
        // A response buffered in a file that never finishes: the client gives up first.
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
        socket.write(`800\r\n${'t'.repeat(0x800)}\r\n`);
      }
    });
    health = await startBackend('health');
    proxy = await startChildProxy({
      http: {
        routers: {
          compressed: { rule: 'PathPrefix(`/c`)', service: 'raw', middlewares: ['gzip', 'strip'] },
          buffered: { rule: 'PathPrefix(`/b`)', service: 'raw', middlewares: ['buffer', 'strip'] },
          health: { rule: 'Path(`/health`)', service: 'health' },
        },
        middlewares: {
          gzip: { compress: { encodings: ['gzip'] } },
          buffer: { buffering: { memRequestBodyBytes: 1024, memResponseBodyBytes: 1024 } },
          strip: { stripPrefixRegex: { regex: ['^/[cb]'] } },
        },
        services: {
          raw: { loadBalancer: { servers: [{ url: upstream.url }] } },
          health: { loadBalancer: { servers: [{ url: health.url }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await upstream.close();
    await health.close();
  });

  it('compresses exactly the declared length of a server that sends more', async () => {
    await freshIfCrashed(proxy);
    const exchange = await rawExchange(
      proxy.port,
      'GET /c/longer HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n',
      { stopAfter: 1 },
    );
    const response = exchange.finals[0];
    assert.equal(response?.status, 200, describeExchange(exchange));
    assert.equal(headerOf(response!, 'content-encoding'), 'gzip');
    assert.equal(zlib.gunzipSync(response!.body).length, 2000);
    assert.equal(exchange.finals.length, 1, 'the extra bytes are never taken for another response');
    await assertProxyHealthy(proxy);
  });

  it('cuts the client when the server sends less than declared (no complete gzip stream)', async () => {
    await freshIfCrashed(proxy);
    const exchange = await rawExchange(
      proxy.port,
      'GET /c/shorter HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n',
    );
    assert.equal(exchange.closed, true);
    const response = exchange.finals[0];
    assert.ok(
      response === undefined || !response.complete,
      `a truncated answer must look truncated: ${describeExchange(exchange)}`,
    );
    await assertProxyHealthy(proxy);
  });

  it('passes an already encoded body through untouched, whatever it holds', async () => {
    await freshIfCrashed(proxy);
    const exchange = await rawExchange(
      proxy.port,
      'GET /c/fake-gzip HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n',
      {
        stopAfter: 1,
      },
    );
    const response = exchange.finals[0];
    assert.equal(response?.status, 200, describeExchange(exchange));
    assert.equal(headerOf(response!, 'content-length'), '1500');
    assert.equal(response!.body.toString(), 'z'.repeat(1500));
    await assertProxyHealthy(proxy);
  });

  it('removes the temporary file of a request body when the client aborts mid-body', async () => {
    await freshIfCrashed(proxy);
    const before = await spilled();
    const socket = connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /b/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n');
    socket.write(Buffer.alloc(200 * 1024, 'u'));
    // The body went past memRequestBodyBytes: a file exists while the client is still sending.
    await waitFor(async () => [...(await spilled())].some((name) => !before.has(name)), {
      what: 'a spilled request file',
    });
    socket.destroy();
    await waitFor(async () => [...(await spilled())].every((name) => before.has(name)), {
      what: 'the spilled request file to be removed',
    });
    assert.equal(upstream.heads.filter((h) => h.path === '/upload').length, 0, 'an incomplete body is never forwarded');
    await assertProxyHealthy(proxy);
  });

  it('removes the temporary file of a response when the client aborts before it completes', async () => {
    await freshIfCrashed(proxy);
    const before = await spilled();
    const socket = connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /b/trickle HTTP/1.1\r\nHost: h\r\n\r\n');
    await waitFor(async () => [...(await spilled())].some((name) => !before.has(name)), {
      what: 'a spilled response file',
    });
    socket.destroy();
    await waitFor(async () => [...(await spilled())].every((name) => before.has(name)), {
      what: 'the spilled response file to be removed',
    });
    await assertProxyHealthy(proxy);
  });
});
