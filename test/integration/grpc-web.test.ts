/**
 * grpcWeb end to end: a hand-written gRPC-Web client (plain Node http and http2 requests with a
 * framed body, as a browser's library sends them) → Switchyard → a real @grpc/grpc-js server on
 * h2c. Expected answers follow Traefik's wrapper (traefik/grpc-web, rs/cors 1.7).
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { h2Session } from '../helpers/h2.js';
import { send } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')),
};

function method(path: string, responseStream: boolean): grpc.MethodDefinition<unknown, unknown> {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

const service: grpc.ServiceDefinition = {
  greet: method('/test.Greeter/Greet', false),
  fail: method('/test.Greeter/Fail', false),
  failLate: method('/test.Greeter/FailLate', false),
  count: method('/test.Greeter/Count', true),
};

/** One gRPC-Web data frame (flag 0, big-endian length). */
function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

interface WebAnswer {
  messages: unknown[];
  /** The trailer frame's text; null when there was none. */
  trailer: string | null;
  /** Bytes after the trailer frame (there must be none). */
  rest: number;
}

/** Reads gRPC-Web frames: data frames (flag 0) then the trailer frame (flag 0x80). */
function readFrames(body: Buffer): WebAnswer {
  const messages: unknown[] = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flag = body[offset] as number;
    const length = body.readUInt32BE(offset + 1);
    const payload = body.subarray(offset + 5, offset + 5 + length);
    offset += 5 + length;
    if (flag === 0x80) return { messages, trailer: payload.toString('utf8'), rest: body.length - offset };
    messages.push(JSON.parse(payload.toString('utf8')));
  }
  return { messages, trailer: null, rest: body.length - offset };
}

/** A `-text` body: base64 segments, each padded on its own (one per write), decoded in turn. */
function decodeText(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const segment of text.match(/[A-Za-z0-9+/]*={0,2}/g) ?? []) {
    if (segment !== '') parts.push(Buffer.from(segment, 'base64'));
  }
  return Buffer.concat(parts);
}

describe('grpcWeb: gRPC-Web clients to a gRPC server', () => {
  let server: grpc.Server;
  let proxy: TestProxy;
  let echo: Backend;

  before(async () => {
    server = new grpc.Server();
    server.addService(service, {
      greet: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const metadata = new grpc.Metadata();
        metadata.set('x-served-by', 'backend');
        call.sendMetadata(metadata);
        callback(null, { message: `hello ${call.request.name}`, web: call.metadata.get('x-grpc-web')[0] ?? null });
      },
      fail: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        callback({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      },
      failLate: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        call.sendMetadata(new grpc.Metadata());
        callback({ code: grpc.status.PERMISSION_DENIED, details: 'not you: a b' });
      },
      count: (call: grpc.ServerWritableStream<{ to: number }, unknown>) => {
        for (let i = 1; i <= call.request.to; i++) call.write({ n: i });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    echo = await startBackend('echo');
    proxy = await startProxy({
      http: {
        routers: {
          grpc: { rule: 'PathPrefix(`/test.Greeter/`)', service: 'grpc', middlewares: ['web'] },
          other: { rule: 'PathPrefix(`/other`)', service: 'echo', middlewares: ['web'] },
          retried: { rule: 'PathPrefix(`/retried/`)', service: 'grpc', middlewares: ['web', 'strip', 'again'] },
        },
        middlewares: {
          web: { grpcWeb: { allowOrigins: ['https://app.example'] } },
          strip: { stripPrefix: { prefixes: ['/retried'] } },
          again: { retry: { attempts: 3 } },
        },
        services: {
          grpc: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${port}` }] } },
          echo: { loadBalancer: { servers: [{ url: echo.url }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await echo.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  const webHeaders = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', origin: 'https://app.example' };

  it('translates a unary call over HTTP/1.1: the message, then grpc-status in the trailer frame', async () => {
    const response = await send(`${proxy.url}/test.Greeter/Greet`, {
      method: 'POST',
      headers: webHeaders,
      body: frame({ name: 'web' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/grpc-web+proto');
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    assert.equal(response.headers['x-served-by'], 'backend');
    const exposed = String(response.headers['access-control-expose-headers']).split(', ');
    assert.ok(exposed.includes('X-Served-By') && exposed.includes('Content-Type'), String(exposed));
    assert.deepEqual(exposed.slice(-2), ['grpc-status', 'grpc-message']);
    assert.equal(response.headers.trailer, undefined);
    const answer = readFrames(response.body);
    assert.deepEqual(answer.messages, [{ message: 'hello web', web: '1' }]);
    // grpc-js sends `grpc-message: OK`; the message is percent-encoded by gRPC and passed as is.
    assert.equal(answer.trailer, 'grpc-message: OK\r\ngrpc-status: 0\r\n');
    assert.equal(answer.rest, 0);
  });

  it('streams server messages, each frame as it comes, then the trailer frame', async () => {
    const response = await send(`${proxy.url}/test.Greeter/Count`, {
      method: 'POST',
      headers: webHeaders,
      body: frame({ to: 3 }),
    });
    const answer = readFrames(response.body);
    assert.deepEqual(answer.messages, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.match(answer.trailer ?? '', /grpc-status: 0\r\n$/);
  });

  it('puts an error status sent after the head into the trailer frame, lower-case and sorted', async () => {
    const response = await send(`${proxy.url}/test.Greeter/FailLate`, {
      method: 'POST',
      headers: webHeaders,
      body: frame({}),
    });
    assert.equal(response.status, 200);
    const answer = readFrames(response.body);
    assert.deepEqual(answer.messages, []);
    assert.equal(answer.trailer, 'grpc-message: not%20you:%20a%20b\r\ngrpc-status: 7\r\n');
  });

  it('leaves a "trailers-only" status in the head and sends an empty trailer frame, as Traefik does', async () => {
    const response = await send(`${proxy.url}/test.Greeter/Fail`, {
      method: 'POST',
      headers: webHeaders,
      body: frame({}),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['grpc-status'], '5');
    assert.equal(response.headers['grpc-message'], 'no%20such%20thing');
    assert.deepEqual(response.body, Buffer.from([0x80, 0, 0, 0, 0]));
  });

  it('decodes and encodes the -text variant (base64 both ways)', async () => {
    const response = await send(`${proxy.url}/test.Greeter/Count`, {
      method: 'POST',
      headers: { ...webHeaders, 'content-type': 'application/grpc-web-text' },
      body: frame({ to: 2 }).toString('base64'),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/grpc-web-text+proto');
    assert.match(response.text, /^[A-Za-z0-9+/=]+$/);
    const answer = readFrames(decodeText(response.text));
    assert.deepEqual(answer.messages, [{ n: 1 }, { n: 2 }]);
    assert.match(answer.trailer ?? '', /grpc-status: 0\r\n$/);
  });

  it('sends the decoded -text body once through a retry middleware after it (a stream it cannot keep)', async () => {
    const response = await send(`${proxy.url}/retried/test.Greeter/Greet`, {
      method: 'POST',
      headers: { ...webHeaders, 'content-type': 'application/grpc-web-text' },
      body: frame({ name: 'text' }).toString('base64'),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(readFrames(decodeText(response.text)).messages, [{ message: 'hello text', web: '1' }]);
  });

  it('cuts a -text request whose body is not base64, and keeps serving', async () => {
    await assert.rejects(
      send(`${proxy.url}/test.Greeter/Greet`, {
        method: 'POST',
        headers: { ...webHeaders, 'content-type': 'application/grpc-web-text' },
        body: '!!!!not base64!!',
      }),
    );
    const ok = await send(`${proxy.url}/test.Greeter/Greet`, {
      method: 'POST',
      headers: webHeaders,
      body: frame({ name: 'again' }),
    });
    assert.deepEqual(readFrames(ok.body).messages, [{ message: 'hello again', web: '1' }]);
  });

  it('works from an HTTP/2 client too', async () => {
    const session = await h2Session(proxy.url);
    try {
      const response = await new Promise<{ headers: IncomingHttpHeaders; body: Buffer; trailers: boolean }>(
        (resolve, reject) => {
          const stream = session.request({ ':method': 'POST', ':path': '/test.Greeter/Greet', ...webHeaders });
          const chunks: Buffer[] = [];
          let headers: IncomingHttpHeaders = {};
          let trailers = false;
          stream.on('response', (h) => {
            headers = h;
          });
          stream.on('trailers', () => {
            trailers = true;
          });
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => resolve({ headers, body: Buffer.concat(chunks), trailers }));
          stream.on('error', reject);
          stream.end(frame({ name: 'h2' }));
        },
      );
      assert.equal(response.headers[':status'], 200);
      assert.equal(response.headers['content-type'], 'application/grpc-web+proto');
      const answer = readFrames(response.body);
      assert.deepEqual(answer.messages, [{ message: 'hello h2', web: '1' }]);
      assert.equal(answer.trailer, 'grpc-message: OK\r\ngrpc-status: 0\r\n');
      assert.equal(response.trailers, false);
    } finally {
      session.close();
    }
  });

  it('answers the CORS preflight for an allowed origin, and without CORS headers for another', async () => {
    const preflight = (origin: string) =>
      send(`${proxy.url}/test.Greeter/Greet`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-grpc-web,content-type, x-user-agent',
        },
      });
    const allowed = await preflight('https://app.example');
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(allowed.headers['access-control-allow-methods'], 'POST');
    assert.equal(allowed.headers['access-control-allow-headers'], 'X-Grpc-Web, Content-Type, X-User-Agent');
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-max-age'], '600');
    assert.equal(allowed.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const refused = await preflight('https://evil.example');
    assert.equal(refused.status, 200);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    assert.equal(refused.headers['access-control-allow-methods'], undefined);
  });

  it('lets every other request through unchanged', async () => {
    const response = await send(`${proxy.url}/other`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://app.example' },
      body: '{}',
    });
    const seen = JSON.parse(response.text) as { headers: Record<string, string> };
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers.te, undefined);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    const options = await send(`${proxy.url}/other`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.equal((JSON.parse(options.text) as { method: string }).method, 'OPTIONS');
  });
});
