import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { request } from '../shared/test-http.js';
import { type DynamicApiServer, startDynamicApiServer } from './server.js';

describe('dynamic API', () => {
  let api: DynamicApiServer;
  before(async () => {
    api = await startDynamicApiServer({ port: 0, host: '127.0.0.1', replicaId: 'api-test-1' });
  });
  after(() => api.close());

  for (const path of ['/api/departures', '/departures', '/api', '/api/', '/']) {
    it(`serves the departures board on ${path} with the replica identity`, async () => {
      const res = await request(api.port, path);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-served-by'], 'api-test-1');
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = JSON.parse(res.body);
      assert.equal(body.station, 'Switchyard Central');
      assert.ok(!Number.isNaN(Date.parse(body.generatedAt)));
      assert.ok(Array.isArray(body.departures) && body.departures.length > 0);
      assert.deepEqual(body.servedBy, {
        replica: 'api-test-1',
        hostname: body.servedBy.hostname,
        pid: process.pid,
        port: api.port,
      });
      assert.equal(typeof body.servedBy.hostname, 'string');
    });
  }

  it('returns departures with every documented field', async () => {
    const body = JSON.parse((await request(api.port, '/api/departures')).body);
    for (const d of body.departures) {
      for (const key of ['id', 'train', 'operator', 'destination', 'platform', 'scheduled', 'status']) {
        assert.equal(typeof d[key], 'string', `${key} of ${JSON.stringify(d)}`);
      }
      assert.ok(Array.isArray(d.via));
      assert.ok(['on-time', 'delayed', 'cancelled'].includes(d.status));
    }
  });

  it('honours ?limit within bounds', async () => {
    const body = JSON.parse((await request(api.port, '/api/departures?limit=3')).body);
    assert.equal(body.departures.length, 3);
  });

  it('answers health checks with status ok', async () => {
    for (const path of ['/healthz', '/api/healthz']) {
      const res = await request(api.port, path);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).status, 'ok');
      assert.equal(res.headers['x-served-by'], 'api-test-1');
    }
  });

  it('answers unknown paths with a 404 JSON error and the replica header', async () => {
    const res = await request(api.port, '/api/nope');
    assert.equal(res.status, 404);
    assert.equal(res.headers['x-served-by'], 'api-test-1');
    assert.equal(JSON.parse(res.body).error, 'not_found');
  });

  it('answers a wrong method with a 405 JSON error and an Allow header', async () => {
    const res = await request(api.port, '/api/departures', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assert.equal(res.headers['x-served-by'], 'api-test-1');
    const body = JSON.parse(res.body);
    assert.equal(body.error, 'method_not_allowed');
    assert.doesNotMatch(res.body, /at .*\.(ts|js):\d+/);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await request(api.port, '/api/departures', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['x-served-by'], 'api-test-1');
  });

  it('starts a session at 1 and sets an HttpOnly cookie when the client has none', async () => {
    const res = await request(api.port, '/api/session');
    assert.equal(res.status, 200);
    const cookie = String(res.headers['set-cookie']?.[0]);
    assert.match(cookie, /^sy_session=[A-Za-z0-9_-]+;/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Path=\//);
    const body = JSON.parse(res.body);
    assert.equal(body.visits, 1);
    assert.equal(body.servedBy.replica, 'api-test-1');
    assert.equal(cookie.split(';')[0], `sy_session=${body.session}`);
  });

  it('counts visits of a session that sends its cookie back', async () => {
    const first = await request(api.port, '/api/session');
    const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0]!;
    const second = await request(api.port, '/session', { headers: { cookie: `other=1; ${cookie}` } });
    const third = await request(api.port, '/api/session', { headers: { cookie } });
    assert.equal(JSON.parse(second.body).visits, 2);
    assert.equal(JSON.parse(third.body).visits, 3);
    assert.equal(third.headers['set-cookie'], undefined);
  });

  it('restarts the count at 1 for a session another replica created', async () => {
    const other = await startDynamicApiServer({ port: 0, host: '127.0.0.1', replicaId: 'api-test-2' });
    try {
      const first = await request(api.port, '/api/session');
      const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0]!;
      await request(api.port, '/api/session', { headers: { cookie } });
      const elsewhere = JSON.parse((await request(other.port, '/api/session', { headers: { cookie } })).body);
      assert.equal(elsewhere.visits, 1);
      assert.equal(elsewhere.session, JSON.parse(first.body).session);
      assert.equal(elsewhere.servedBy.replica, 'api-test-2');
    } finally {
      await other.close();
    }
  });

  it('replaces a malformed session cookie instead of echoing it', async () => {
    const res = await request(api.port, '/api/session', { headers: { cookie: 'sy_session=<script>' } });
    assert.match(String(res.headers['set-cookie']?.[0]), /^sy_session=[A-Za-z0-9_-]+;/);
    assert.equal(JSON.parse(res.body).visits, 1);
  });
});

describe('dynamic API shutdown', () => {
  it('finishes an in-flight request before close() resolves, then refuses new connections', async () => {
    const api = await startDynamicApiServer({ port: 0, host: '127.0.0.1', replicaId: 'api-closing' });
    const arrived = once(api.server, 'request');
    const sentAt = Date.now();
    const inFlight = request(api.port, '/api/departures?delay=300');
    await arrived;
    // With nothing in flight close() resolves at once; here it must wait for the 300 ms answer.
    await api.close();
    const closedAfter = Date.now() - sentAt;
    const res = await inFlight;
    assert.ok(closedAfter >= 290, `close() resolved ${closedAfter} ms after the request, before its answer`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.connection, 'close');
    assert.equal(JSON.parse(res.body).servedBy.replica, 'api-closing');
    await assert.rejects(request(api.port, '/healthz'), /ECONNREFUSED/);
  });

  it('cuts connections still busy after the grace period', async () => {
    const api = await startDynamicApiServer({ port: 0, host: '127.0.0.1', graceMs: 100 });
    const arrived = once(api.server, 'request');
    const slow = request(api.port, '/api/departures?delay=5000');
    await arrived;
    const started = Date.now();
    await api.close();
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(slow);
  });
});

describe('dynamic API board with session', () => {
  it('folds the session counter into the board when asked with ?session=1', async () => {
    const api = await startDynamicApiServer({ port: 0, host: '127.0.0.1', replicaId: 'api-fold' });
    try {
      const first = await request(api.port, '/api/departures?session=1');
      const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0]!;
      const firstBody = JSON.parse(first.body);
      assert.equal(firstBody.session.visits, 1);
      const second = JSON.parse((await request(api.port, '/api/departures?session=1', { headers: { cookie } })).body);
      assert.deepEqual(second.session, { id: firstBody.session.id, visits: 2 });
      const plain = await request(api.port, '/api/departures');
      assert.equal(JSON.parse(plain.body).session, undefined);
      assert.equal(plain.headers['set-cookie'], undefined);
    } finally {
      await api.close();
    }
  });
});
