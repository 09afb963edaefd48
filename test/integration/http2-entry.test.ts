import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { h2Once, h2Request, h2Session } from '../helpers/h2.js';
import { send, sendJson, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawExchange } from '../helpers/raw-socket.js';

describe('HTTP/2 from clients (h2c with prior knowledge)', () => {
  let backend: Backend;
  let proxy: TestProxy;
  const accessLog = join(tmpdir(), `switchyard-h2-access-${process.pid}.log`);

  before(async () => {
    backend = await startBackend('app');
    proxy = await startProxy(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'app' },
            other: { rule: 'PathPrefix(`/other`)', service: 'app', middlewares: ['add'] },
          },
          middlewares: { add: { headers: { customResponseHeaders: { 'X-Added': 'yes', Connection: 'close' } } } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      [
        `--accessLog.filePath=${accessLog}`,
        '--accessLog.format=json',
        '--entryPoints.traefik.address=127.0.0.1:0',
        '--api.insecure=true',
      ],
    );
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
    rmSync(accessLog, { force: true });
  });

  it('routes by :authority and forwards to an HTTP/1.1 server without pseudo-headers', async () => {
    const res = await h2Once(proxy.url, { ':authority': 'app.test', ':path': '/x?y=1', 'x-test': 'a' });
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.body);
    assert.equal(echoed.url, '/x?y=1');
    assert.equal(echoed.headers.host, 'app.test');
    assert.equal(echoed.headers['x-test'], 'a');
    assert.equal(echoed.headers['x-forwarded-proto'], 'http');
    for (const name of Object.keys(echoed.headers)) assert.ok(!name.startsWith(':'), `pseudo-header ${name} forwarded`);
    assert.equal(res.headers['x-backend'], 'app');
  });

  it('streams a request body of unknown length (DATA frames only) to the server', async () => {
    const res = await h2Once(
      proxy.url,
      { ':authority': 'app.test', ':method': 'POST', ':path': '/post' },
      'hello body',
    );
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.body);
    assert.equal(echoed.body, 'hello body');
    assert.equal(echoed.method, 'POST');
  });

  it('carries many requests at once on one connection', async () => {
    const session = await h2Session(proxy.url);
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => h2Request(session, { ':authority': 'app.test', ':path': `/n/${i}` })),
      );
      answers.forEach((res, i) => {
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).url, `/n/${i}`);
      });
    } finally {
      session.close();
    }
  });

  it('answers 404 on its own stream and never sends connection-specific headers', async () => {
    const session = await h2Session(proxy.url);
    try {
      const missing = await h2Request(session, { ':authority': 'nothing.test', ':path': '/' });
      assert.equal(missing.status, 404);
      const added = await h2Request(session, { ':authority': 'x.test', ':path': '/other' });
      assert.equal(added.status, 200);
      assert.equal(added.headers['x-added'], 'yes');
      assert.equal(added.headers.connection, undefined);
    } finally {
      session.close();
    }
  });

  it('refuses a host header that names another authority (400) and CONNECT (405)', async () => {
    const session = await h2Session(proxy.url);
    try {
      const mismatch = await h2Request(session, { ':authority': 'app.test', host: 'admin.test', ':path': '/' });
      assert.equal(mismatch.status, 400);
      const connect = await h2Request(session, { ':method': 'CONNECT', ':authority': 'app.test:443' });
      assert.equal(connect.status, 405);
      const fine = await h2Request(session, { ':authority': 'app.test', ':path': '/after' });
      assert.equal(fine.status, 200);
    } finally {
      session.close();
    }
  });

  it('shows the protocol in the access log and in the recent requests of the API', async () => {
    await h2Once(proxy.url, { ':authority': 'app.test', ':path': '/logged-h2' });
    await send(`${proxy.url}/logged-h1`, { headers: { host: 'app.test' } });
    const file = accessLog;
    const lines = await waitFor(
      () => {
        if (!existsSync(file)) return undefined;
        const all = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes('/logged-'));
        return all.length >= 2 ? all.map((l) => JSON.parse(l)) : undefined;
      },
      { what: 'two access log lines' },
    );
    const byPath = new Map(lines.map((l: Record<string, string>) => [l.RequestPath, l.RequestProtocol]));
    assert.equal(byPath.get('/logged-h2'), 'HTTP/2.0');
    assert.equal(byPath.get('/logged-h1'), 'HTTP/1.1');
    const api = `http://127.0.0.1:${proxy.app.entryPoints.get('traefik')?.port}`;
    const recent = await waitFor(
      async () => {
        const { json } = await sendJson<{ recent: Array<{ path: string; protocol: string }> }>(`${api}/api/stats`);
        const found = json.recent.filter((r) => r.path.startsWith('/logged-'));
        return found.length >= 2 ? found : undefined;
      },
      { what: 'recent requests' },
    );
    assert.deepEqual(
      new Set(recent.map((r) => `${r.path} ${r.protocol}`)),
      new Set(['/logged-h2 HTTP/2.0', '/logged-h1 HTTP/1.1']),
    );
  });

  it('still serves HTTP/1.1 on the same entry point, and answers 505 to HTTP/2.0 in a request line', async () => {
    const res = await send(`${proxy.url}/h1`, { headers: { host: 'app.test' } });
    assert.equal(res.status, 200);
    const raw = await rawExchange(proxy.port, 'GET / HTTP/2.0\r\nHost: app.test\r\n\r\n', { stopAfter: 1 });
    assert.equal(raw.finals[0]?.status, 505);
  });
});

describe('an entry point with http2.h2c=false', () => {
  it("serves HTTP/1.1 only: the HTTP/2 preface gets the HTTP/1.1 parser's 400", async () => {
    const backend = await startBackend('app');
    const proxy = await startProxy(
      {
        http: {
          routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' } },
          services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      ['--entryPoints.web.http2.h2c=false'],
    );
    try {
      const raw = await rawExchange(proxy.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', { stopAfter: 1 });
      assert.equal(raw.finals[0]?.status, 400);
      assert.equal((await send(`${proxy.url}/still-http1`)).status, 200);
    } finally {
      await proxy.stop();
      await backend.close();
    }
  });
});
