/**
 * `healthCheck.mode: grpc` through the proxy: a real grpc-js server implementing
 * grpc.health.v1.Health/Check by hand (protobuf bytes written here) decides whether the proxy
 * sends it traffic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { h2Once } from '../helpers/h2.js';
import { waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const raw = { serialize: (value: Buffer) => value, deserialize: (bytes: Buffer) => bytes };

function unary(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  };
}

describe('healthCheck.mode: grpc', () => {
  let server: grpc.Server;
  let proxy: TestProxy;
  let url: string;
  const health = { status: 1, checks: 0 };

  before(async () => {
    server = new grpc.Server();
    server.addService(
      { check: unary('/grpc.health.v1.Health/Check'), echo: unary('/test.Echo/Echo') },
      {
        check: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => {
          health.checks++;
          // HealthCheckResponse{status}: field 1, varint.
          callback(null, Buffer.from([0x08, health.status]));
        },
        echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
          callback(null, call.request),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    url = `h2c://127.0.0.1:${port}`;
    proxy = await startProxy({
      http: {
        routers: { grpc: { rule: 'PathPrefix(`/`)', service: 'grpc' } },
        services: {
          grpc: {
            loadBalancer: { servers: [{ url }], healthCheck: { mode: 'grpc', interval: '100ms', timeout: '1s' } },
          },
        },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    server.forceShutdown();
  });

  const call = () =>
    h2Once(
      proxy.url,
      { ':method': 'POST', ':path': '/test.Echo/Echo', 'content-type': 'application/grpc', te: 'trailers' },
      Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]),
    );

  it('sends traffic once Health/Check answers SERVING', async () => {
    await waitFor(() => proxy.app.upstreams.peek(url)?.activeHealth === 'UP', { what: 'the server to be UP' });
    const response = await call();
    assert.equal(response.status, 200);
    assert.equal(response.trailers['grpc-status'], '0');
    assert.equal(response.body, '\0\0\0\0\x02hi');
    assert.ok(health.checks > 0);
  });

  it('takes the server out on NOT_SERVING, and back on SERVING', async () => {
    health.status = 2;
    await waitFor(() => proxy.app.upstreams.peek(url)?.activeHealth === 'DOWN', { what: 'the server to be DOWN' });
    assert.equal((await call()).status, 503);
    health.status = 1;
    await waitFor(() => proxy.app.upstreams.peek(url)?.activeHealth === 'UP', { what: 'the server to be UP again' });
    assert.equal((await call()).status, 200);
  });
});
