import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { type RawUpstream, startRawUpstream } from '../helpers/hostile-servers.js';
import { send, sendJson } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

describe('upstream HTTP/1.1 client', () => {
  let proxy: TestProxy;
  let echo: Backend;
  let chunky: Backend;
  const upstreams: RawUpstream[] = [];
  let staleConnections = 0;

  before(async () => {
    echo = await startBackend('echo');
    chunky = await startBackend('chunky', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => res.end('two'), 10);
    });
    const informational = await startRawUpstream((_path, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const untilClose = await startRawUpstream((_path, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    });
    const split = await startRawUpstream((_path, socket) => {
      const wire = 'HTTP/1.1 200 OK\r\nX-Split: yes\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
      let i = 0;
      const next = () => {
        if (i >= wire.length) return;
        socket.write(wire.slice(i, i + 5));
        i += 5;
        setImmediate(next);
      };
      next();
    });
    // Answers once, then closes each kept-alive connection as soon as the next request arrives:
    // the proxy must send that request again on a fresh connection.
    const stale = await startRawUpstream((_path, socket) => {
      const s = socket as Socket & { served?: boolean };
      if (s.served) {
        staleConnections++;
        socket.destroy();
        return;
      }
      s.served = true;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
    });
    const garbage = await startRawUpstream((_path, socket) => {
      socket.end('NOT HTTP AT ALL\r\n\r\n');
    });
    upstreams.push(informational, untilClose, split, stale, garbage);
    const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
    proxy = await startProxy({
      http: {
        routers: {
          echo: { rule: 'PathPrefix(`/echo`)', service: 'echo' },
          chunky: { rule: 'Path(`/chunky`)', service: 'chunky' },
          info: { rule: 'Path(`/info`)', service: 'info' },
          close: { rule: 'Path(`/close`)', service: 'close' },
          split: { rule: 'Path(`/split`)', service: 'split' },
          stale: { rule: 'Path(`/stale`)', service: 'stale' },
          garbage: { rule: 'Path(`/garbage`)', service: 'garbage' },
        },
        services: {
          echo: lb(echo.url),
          chunky: lb(chunky.url),
          info: lb(informational.url),
          close: lb(untilClose.url),
          split: lb(split.url),
          stale: lb(stale.url),
          garbage: lb(garbage.url),
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([echo.close(), chunky.close(), ...upstreams.map((upstream) => upstream.close())]);
  });

  it('relays a chunked answer whose body arrives in several pieces', async () => {
    const response = await send(`${proxy.url}/chunky`);
    assert.equal(response.status, 200);
    assert.equal(response.text, 'one,two');
  });

  it('sends a chunked request body upstream chunked, and a sized one with its length', async () => {
    const chunked = await sendJson<{ body: string; headers: Record<string, string> }>(`${proxy.url}/echo`, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'streamed body',
    });
    assert.equal(chunked.json.body, 'streamed body');
    assert.equal(chunked.json.headers['transfer-encoding'], 'chunked');
    const sized = await sendJson<{ body: string; headers: Record<string, string> }>(`${proxy.url}/echo`, {
      method: 'PUT',
      body: 'sized',
    });
    assert.equal(sized.json.body, 'sized');
    assert.equal(sized.json.headers['content-length'], '5');
    const empty = await sendJson<{ headers: Record<string, string> }>(`${proxy.url}/echo`, { method: 'POST' });
    assert.equal(empty.json.headers['content-length'], '0');
  });

  it('answers HEAD with the server headers and no body', async () => {
    const response = await send(`${proxy.url}/echo`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.body.length, 0);
  });

  it('skips 1xx answers, reads bodies that end with the connection, and heads split over many reads', async () => {
    assert.equal((await send(`${proxy.url}/info`)).text, 'ok');
    assert.equal((await send(`${proxy.url}/close`)).text, 'until the end');
    const split = await send(`${proxy.url}/split`);
    assert.equal(split.text, 'abc');
    assert.equal(split.headers['x-split'], 'yes');
  });

  it('sends a request again on a fresh connection when a pooled one turns out closed', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 4; i++) {
      const response = await send(`${proxy.url}/stale`, { agent });
      assert.equal(response.status, 200);
      assert.equal(response.text, 'fresh');
    }
    agent.destroy();
    assert.ok(staleConnections >= 1, 'the upstream closed a reused connection at least once');
  });

  it('answers 502 when the server does not speak HTTP', async () => {
    assert.equal((await send(`${proxy.url}/garbage`)).status, 502);
  });

  it('reuses upstream connections across requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) assert.equal((await send(`${proxy.url}/echo/${i}`, { agent })).status, 200);
    agent.destroy();
    assert.equal(echo.openConnections(), 1);
  });
});

describe('upstream HTTP/1.1 client: replaying a request cut on a reused connection', () => {
  it('sends a GET again but not a POST, which the server may have acted on (as Go does)', async () => {
    // Answers the first request of each connection, then cuts the connection on the next one.
    const seen: string[] = [];
    const upstream = await startRawUpstream((_path, socket, head) => {
      seen.push(head.slice(0, head.indexOf(' ')));
      const s = socket as Socket & { served?: boolean };
      if (s.served) {
        socket.destroy();
        return;
      }
      s.served = true;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const proxy = await startProxy({
      http: {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 's' } },
        services: { s: { loadBalancer: { servers: [{ url: upstream.url }] } } },
      },
    });
    try {
      assert.equal((await send(`${proxy.url}/a`)).status, 200, 'opens the pooled connection');
      // GET on the pooled connection: cut, sent again on a fresh one, answered.
      assert.equal((await send(`${proxy.url}/b`)).status, 200);
      assert.deepEqual(seen, ['GET', 'GET', 'GET']);
      // POST on the (fresh, now pooled) connection: cut, and not sent again.
      const post = await send(`${proxy.url}/c`, { method: 'POST' });
      assert.equal(post.status, 502);
      assert.deepEqual(seen, ['GET', 'GET', 'GET', 'POST']);
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });
});
