/**
 * Request trailers from HTTP/1.1 and HTTP/2 clients reach an HTTP/1.1 server after the chunked
 * body; response trailers from an HTTP/1.1 server (a chunked body's trailer section) reach HTTP/1.1
 * clients after the last chunk and HTTP/2 clients as a trailing HEADERS frame; fields that may
 * not be trailers and malformed ones are dropped.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:http2';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function http1Get(
  port: number,
  path: string,
): Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function http2Get(
  port: number,
  path: string,
): Promise<{ headers: Record<string, unknown>; body: string; trailers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let body = '';
    let trailers: Record<string, unknown> = {};
    let headers: Record<string, unknown> = {};
    stream.on('response', (fields) => {
      headers = fields;
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('trailers', (fields) => {
      trailers = fields;
    });
    stream.on('end', () => {
      session.close();
      resolve({ headers, body, trailers });
    });
    stream.on('error', reject);
  });
}

describe('response trailers from an HTTP/1.1 server', () => {
  let backend: Backend;
  let broken: Server;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('trailers', (req, res) => {
      if (req.url === '/echo-trailers') {
        req.resume();
        req.on('end', () => res.end(JSON.stringify(req.trailers)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum, grpc-status' });
      res.write('part one, ');
      res.write('part two');
      res.addTrailers({ 'x-checksum': 'sha256=abc', 'grpc-status': '0', 'content-type': 'text/evil' });
      res.end();
    });
    // A sloppy server: per path, a trailer line without a colon, or fields that HTTP/1.1 lets
    // through and HTTP/2 refuses (a single-valued field twice, a connection-specific one).
    broken = createServer((socket) => {
      socket.once('data', (request: Buffer) => {
        const path = request.toString('latin1').split(' ')[1];
        if (path === '/sloppy') {
          socket.end(
            'HTTP/1.1 200 OK\r\nETag: "first"\r\nETag: "second"\r\nHTTP2-Settings: AAAA\r\nX-Many: 1\r\nX-Many: 2\r\n' +
              'Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nETag: "t1"\r\nETag: "t2"\r\nHTTP2-Settings: AAAA\r\nX-Ok: 1\r\n\r\n',
          );
        } else {
          socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nno colon\r\n\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const brokenPort = (broken.address() as { port: number }).port;
    proxy = await startProxy({
      http: {
        routers: {
          good: { rule: 'Path(`/t`) || Path(`/echo-trailers`)', service: 'good' },
          bad: { rule: 'Path(`/bad`) || Path(`/sloppy`)', service: 'bad' },
        },
        services: {
          good: { loadBalancer: { servers: [{ url: backend.url }] } },
          bad: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${brokenPort}` }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
    await new Promise<void>((resolve) => broken.close(() => resolve()));
  });

  it('relays them to an HTTP/1.1 client after the body, without the fields a trailer may not carry', async () => {
    const answer = await http1Get(proxy.port, '/t');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'part one, part two');
    assert.equal(answer.trailers['x-checksum'], 'sha256=abc');
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal(answer.trailers['content-type'], undefined);
  });

  it('relays them to an HTTP/2 client as trailers', async () => {
    const answer = await http2Get(proxy.port, '/t');
    assert.equal(answer.body, 'part one, part two');
    assert.equal(answer.trailers['x-checksum'], 'sha256=abc');
    assert.equal(answer.trailers['grpc-status'], '0');
  });

  it('drops a malformed trailer field and delivers the answer', async () => {
    const answer = await http1Get(proxy.port, '/bad');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'abc');
    assert.deepEqual(answer.trailers, {});
  });

  it("sends an HTTP/1.1 client's request trailers to the server after the chunked body", async () => {
    const seen = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: proxy.port,
          path: '/echo-trailers',
          method: 'POST',
          headers: { trailer: 'x-digest' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.write('some body');
      req.addTrailers({ 'x-digest': 'crc=1', host: 'not-a-trailer' });
      req.end();
    });
    assert.deepEqual(JSON.parse(seen), { 'x-digest': 'crc=1' });
  });

  it("sends an HTTP/2 client's request trailers to the HTTP/1.1 server", async () => {
    const seen = await new Promise<string>((resolve, reject) => {
      const session = connect(`http://127.0.0.1:${proxy.port}`);
      session.on('error', reject);
      const stream = session.request({ ':path': '/echo-trailers', ':method': 'POST' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-digest': 'crc=2' }));
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        body += chunk;
      });
      stream.on('end', () => {
        session.close();
        resolve(body);
      });
      stream.on('error', reject);
      stream.end('an h2 body');
    });
    assert.deepEqual(JSON.parse(seen), { 'x-digest': 'crc=2' });
  });

  it('gives an HTTP/2 client what HTTP/2 can carry of a sloppy head and trailers: first of a single-valued field, no connection-specific one', async () => {
    const answer = await http2Get(proxy.port, '/sloppy');
    assert.equal(answer.headers[':status'], 200);
    assert.equal(answer.headers.etag, '"first"');
    assert.equal(answer.headers['http2-settings'], undefined);
    assert.equal(answer.headers['x-many'], '1, 2');
    assert.equal(answer.body, 'abc');
    assert.equal(answer.trailers.etag, '"t1"');
    assert.equal(answer.trailers['http2-settings'], undefined);
    assert.equal(answer.trailers['x-ok'], '1');
    assert.equal(proxy.app.entryPoints.get('web')?.inFlight, 0);
  });
});
