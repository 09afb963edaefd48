import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { h2Request, h2Session } from '../helpers/h2.js';
import { send, waitFor } from '../helpers/http.js';
import { createCa, type TestCa, type TestCertificate } from '../helpers/issuing-ca.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** Echoes what the HTTP/2 server received: version, method, path, headers, body, trailers. */
function echo(name: string) {
  return (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify({
        name,
        version: req.httpVersion,
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        trailers: req.trailers,
      });
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-backend', name);
      // `authorization` may not be a trailer (RFC 9110 §6.5.1): the proxy drops it.
      res.addTrailers({ 'x-checksum': String(body.length), authorization: 'Basic c2VjcmV0' });
      res.end(body);
    });
  };
}

async function listen<T extends Http2Server | Http2SecureServer | NetServer | ReturnType<typeof createHttpsServer>>(
  server: T,
): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeAll(servers: Array<{ close(cb?: () => void): unknown }>, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => {});
}

describe('HTTP/2 to servers', () => {
  let ca: TestCa;
  let serverCert: TestCertificate;
  let clientCert: TestCertificate;
  let otherCa: TestCa;
  const sockets = new Set<Socket>();
  const servers: Array<{ close(cb?: () => void): unknown }> = [];
  let h2cPort = 0;
  let goawayPort = 0;
  let refusingPort = 0;
  let tlsH2Port = 0;
  let tlsH1Port = 0;
  let mtlsPort = 0;
  let garbagePort = 0;
  let goawayRequests = 0;
  let proxy: TestProxy;

  const track = (server: { on(event: 'connection', fn: (s: Socket) => void): unknown }) => {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  };

  before(async () => {
    ca = await createCa();
    otherCa = await createCa('Other CA');
    serverCert = await ca.issue({ names: ['backend.test'], ips: ['127.0.0.1'] });
    clientCert = await ca.issue({ client: true, commonName: 'switchyard' });

    const h2c = createServer(echo('h2c'));
    track(h2c);
    servers.push(h2c);
    h2cPort = await listen(h2c);

    // Answers, then sends GOAWAY: the proxy must open a new session for the next request.
    const goaway = createServer((_req, res) => {
      goawayRequests++;
      res.end('ok');
      res.stream.session?.close();
    });
    track(goaway);
    servers.push(goaway);
    goawayPort = await listen(goaway);

    const refusing = createServer((_req, res) => {
      res.stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    track(refusing);
    servers.push(refusing);
    refusingPort = await listen(refusing);

    const tlsH2 = createSecureServer({ ...serverCert, allowHTTP1: true }, echo('tls-h2') as never);
    track(tlsH2);
    servers.push(tlsH2);
    tlsH2Port = await listen(tlsH2);

    const tlsH1 = createHttpsServer(serverCert, (req, res) => {
      res.setHeader('x-backend', 'tls-h1');
      res.end(JSON.stringify({ version: req.httpVersion, path: req.url }));
    });
    track(tlsH1);
    servers.push(tlsH1);
    tlsH1Port = await listen(tlsH1);

    const mtls = createSecureServer(
      { ...serverCert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
      echo('mtls') as never,
    );
    track(mtls);
    servers.push(mtls);
    mtlsPort = await listen(mtls);

    // Answers the preface with bytes that are no HTTP/2 frame.
    const garbage = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    });
    track(garbage);
    servers.push(garbage);
    garbagePort = await listen(garbage);

    const route = (name: string, service: string) => ({ rule: `PathPrefix(\`/${name}\`)`, service });
    proxy = await startProxy({
      http: {
        routers: {
          h2c: route('h2c', 'h2c'),
          goaway: route('goaway', 'goaway'),
          refused: route('refused', 'refused'),
          tlsh2: route('tlsh2', 'tlsh2'),
          tlsh1: route('tlsh1', 'tlsh1'),
          mtls: route('mtls', 'mtls'),
          nocert: route('nocert', 'nocert'),
          untrusted: route('untrusted', 'untrusted'),
          insecure: route('insecure', 'insecure'),
          garbage: route('garbage', 'garbage'),
          hcdown: route('hcdown', 'hcdown'),
          hcup: route('hcup', 'hcup'),
        },
        services: {
          h2c: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${h2cPort}` }] } },
          goaway: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${goawayPort}` }] } },
          refused: {
            loadBalancer: {
              servers: [{ url: `h2c://127.0.0.1:${refusingPort}` }, { url: `h2c://127.0.0.1:${h2cPort}` }],
            },
          },
          tlsh2: {
            loadBalancer: { servers: [{ url: `https://127.0.0.1:${tlsH2Port}` }], serversTransport: 'trusted' },
          },
          tlsh1: {
            loadBalancer: { servers: [{ url: `https://127.0.0.1:${tlsH1Port}` }], serversTransport: 'trusted' },
          },
          mtls: { loadBalancer: { servers: [{ url: `https://127.0.0.1:${mtlsPort}` }], serversTransport: 'mutual' } },
          nocert: {
            loadBalancer: { servers: [{ url: `https://127.0.0.1:${mtlsPort}` }], serversTransport: 'trusted' },
          },
          untrusted: {
            loadBalancer: { servers: [{ url: `https://127.0.0.1:${tlsH2Port}` }], serversTransport: 'other' },
          },
          insecure: {
            loadBalancer: { servers: [{ url: `https://127.0.0.1:${tlsH2Port}` }], serversTransport: 'insecure' },
          },
          garbage: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${garbagePort}` }] } },
          hcdown: {
            loadBalancer: {
              servers: [{ url: `h2c://127.0.0.1:${refusingPort}` }],
              healthCheck: { path: '/health', interval: '100ms', timeout: '1s' },
            },
          },
          hcup: {
            loadBalancer: {
              servers: [{ url: `h2c://127.0.0.1:${h2cPort}/` }],
              healthCheck: { path: '/health', interval: '100ms', timeout: '1s' },
            },
          },
        },
        serversTransports: {
          trusted: { rootCAs: [ca.cert], serverName: 'backend.test' },
          mutual: {
            rootCAs: [ca.cert],
            serverName: 'backend.test',
            certificates: [{ certFile: clientCert.cert, keyFile: clientCert.key }],
          },
          other: { rootCAs: [otherCa.cert] },
          insecure: { insecureSkipVerify: true },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await closeAll(servers, sockets);
  });

  it('forwards an HTTP/1.1 request to an h2c:// server, body streamed, trailers relayed on a chunked answer', async () => {
    const res = await send(`${proxy.url}/h2c/a?b=1`, { method: 'POST', body: 'payload', headers: { 'x-test': 't' } });
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.text);
    assert.equal(echoed.version, '2.0');
    assert.equal(echoed.path, '/h2c/a?b=1');
    assert.equal(echoed.body, 'payload');
    assert.equal(echoed.headers['x-test'], 't');
    assert.equal(echoed.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(echoed.headers[':authority'], `127.0.0.1:${proxy.port}`);
    assert.equal(echoed.headers.connection, undefined);
    // The server's trailers reach an HTTP/1.1 client at the end of the chunked answer.
    const trailers = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/h2c/trailers`, (res) => {
        res.resume();
        res.on('end', () => resolve(res.trailers));
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(trailers['x-checksum'] ?? '', /^\d+$/);
  });

  it('carries request and response trailers between an HTTP/2 client and an h2c server', async () => {
    const session = await h2Session(proxy.url);
    try {
      const stream = session.request(
        { ':method': 'POST', ':path': '/h2c/t', te: 'trailers' },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () => stream.sendTrailers({ 'x-client-trailer': 'yes', 'max-forwards': '3' }));
      const result = await new Promise<{ body: string; trailers: Record<string, unknown> }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let trailers: Record<string, unknown> = {};
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('trailers', (t) => {
          trailers = t;
        });
        stream.on('end', () => resolve({ body: Buffer.concat(chunks).toString(), trailers }));
        stream.on('error', reject);
        stream.end('with trailers');
      });
      const echoed = JSON.parse(result.body);
      assert.equal(echoed.body, 'with trailers');
      assert.equal(echoed.headers.te, 'trailers');
      assert.equal(echoed.trailers['x-client-trailer'], 'yes');
      assert.equal(echoed.trailers['max-forwards'], undefined, 'a field that may not be a trailer stays behind');
      assert.equal(result.trailers['x-checksum'], String(result.body.length));
      assert.equal(result.trailers.authorization, undefined, 'a field that may not be a trailer stays behind');
    } finally {
      session.close();
    }
  });

  it('opens a new session after the server sent GOAWAY', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await send(`${proxy.url}/goaway/${i}`);
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(res.text, 'ok');
    }
    assert.equal(goawayRequests, 5);
  });

  it('sends a refused stream (REFUSED_STREAM: never processed) to another server', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await send(`${proxy.url}/refused/${i}`);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.text).name, 'h2c');
    }
  });

  it('speaks HTTP/2 to an https:// server whose ALPN offers h2 (rootCAs, serverName)', async () => {
    const res = await send(`${proxy.url}/tlsh2/x`);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.text).version, '2.0');
  });

  it('falls back to HTTP/1.1 for an https:// server that only speaks it', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await send(`${proxy.url}/tlsh1/${i}`);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.text).version, '1.1');
    }
  });

  it('presents the client certificate to a server that requires one, and fails without it', async () => {
    const ok = await send(`${proxy.url}/mtls/x`);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.text).name, 'mtls');
    const refused = await send(`${proxy.url}/nocert/x`);
    assert.equal(refused.status, 502);
  });

  it('refuses a server certificate from another CA (502) unless insecureSkipVerify', async () => {
    assert.equal((await send(`${proxy.url}/untrusted/x`)).status, 502);
    assert.equal((await send(`${proxy.url}/insecure/x`)).status, 200);
  });

  it('answers 502 when an h2c server answers with bytes that are no HTTP/2, and keeps serving', async () => {
    assert.equal((await send(`${proxy.url}/garbage/x`)).status, 502);
    assert.equal((await send(`${proxy.url}/h2c/after`)).status, 200);
  });

  it('health-checks h2c:// servers over HTTP/2', async () => {
    await waitFor(async () => ((await send(`${proxy.url}/hcdown/x`)).status === 503 ? true : undefined), {
      what: 'the refusing server to be marked down',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await send(`${proxy.url}/hcup/x`)).status, 200);
  });

  it('serves an HTTP/2 client from an HTTP/2 server end to end', async () => {
    const session = await h2Session(proxy.url);
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h2Request(session, { ':path': `/h2c/many/${i}` })),
      );
      answers.forEach((res, i) => {
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).path, `/h2c/many/${i}`);
        assert.equal(res.trailers['x-checksum'], String(res.body.length));
      });
    } finally {
      session.close();
    }
  });
});
