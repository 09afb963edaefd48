import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { buildHttp2RequestHeaders } from './request-headers.js';

describe('request headers for an HTTP/2 server', () => {
  const incoming: IncomingHttpHeaders = {
    host: 'app.test',
    connection: 'keep-alive, x-secret',
    'keep-alive': 'timeout=5',
    'x-secret': 'drop me',
    'transfer-encoding': 'chunked',
    upgrade: 'h2c',
    'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA',
    te: 'trailers',
    'content-type': 'application/grpc',
    'x-forwarded-for': '10.0.0.1',
    'x-multi': ['a=1', 'b=2'],
  };

  it('sends the request line as pseudo-headers and the client host as :authority', () => {
    const out = buildHttp2RequestHeaders(
      'POST',
      '/pkg.Svc/Call',
      incoming,
      '127.0.0.1',
      'https',
      'http',
      8443,
      null,
      -1,
    );
    assert.equal(out[':method'], 'POST');
    assert.equal(out[':path'], '/pkg.Svc/Call');
    assert.equal(out[':scheme'], 'http');
    assert.equal(out[':authority'], 'app.test');
    assert.equal(out.host, undefined);
  });

  it('drops hop-by-hop and Connection-named headers, keeps TE: trailers and repeated fields', () => {
    const out = buildHttp2RequestHeaders('POST', '/', incoming, '127.0.0.1', 'http', 'http', 80, null, -1);
    for (const name of ['connection', 'keep-alive', 'x-secret', 'transfer-encoding', 'upgrade', 'http2-settings']) {
      assert.equal(out[name], undefined, name);
    }
    assert.equal(out.te, 'trailers');
    assert.equal(out['content-type'], 'application/grpc');
    assert.deepEqual(out['x-multi'], ['a=1', 'b=2']);
  });

  it('sets the X-Forwarded family as for HTTP/1.1, appending to a trusted X-Forwarded-For', () => {
    const out = buildHttp2RequestHeaders('GET', '/', incoming, '192.0.2.7', 'https', 'http', 8443, null, -1);
    assert.equal(out['x-forwarded-for'], '10.0.0.1, 192.0.2.7');
    assert.equal(out['x-forwarded-proto'], 'https');
    assert.equal(out['x-forwarded-host'], 'app.test');
    assert.equal(out['x-forwarded-port'], '443');
    assert.equal(out['x-real-ip'], '192.0.2.7');
    assert.equal(typeof out['x-forwarded-server'], 'string');
  });

  it("sends the server's authority without passHostHeader, and a buffered body's length", () => {
    const out = buildHttp2RequestHeaders('PUT', '/', incoming, '127.0.0.1', 'http', 'http', 80, '10.0.0.9:50051', 12);
    assert.equal(out[':authority'], '10.0.0.9:50051');
    assert.equal(out['content-length'], '12');
  });

  it('refuses a path with unescaped characters', () => {
    assert.throws(() => buildHttp2RequestHeaders('GET', '/a b', {}, '127.0.0.1', 'http', 'http', 80, null, -1));
  });
});
