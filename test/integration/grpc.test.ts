import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { makeCa, makeCertificate } from '../helpers/certificates.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** Messages are JSON in these tests: no protobuf compiler needed, the framing is gRPC's all the same. */
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')),
};

const service: grpc.ServiceDefinition = {
  greet: {
    path: '/test.Greeter/Greet',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  fail: {
    path: '/test.Greeter/Fail',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  count: {
    path: '/test.Greeter/Count',
    requestStream: false,
    responseStream: true,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  sum: {
    path: '/test.Greeter/Sum',
    requestStream: true,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

describe('gRPC through the proxy (h2c from the client, h2c:// to the server)', () => {
  let server: grpc.Server;
  let proxy: TestProxy;
  let client: Client;

  before(async () => {
    server = new grpc.Server();
    server.addService(service, {
      greet: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const metadata = new grpc.Metadata();
        metadata.set('x-served-by', 'backend');
        call.sendMetadata(metadata);
        callback(null, { message: `hello ${call.request.name}`, via: call.metadata.get('x-forwarded-proto')[0] });
      },
      fail: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        callback({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      },
      count: (call: grpc.ServerWritableStream<{ to: number }, unknown>) => {
        for (let i = 1; i <= call.request.to; i++) call.write({ n: i });
        call.end();
      },
      sum: (call: grpc.ServerReadableStream<{ n: number }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        let total = 0;
        call.on('data', (message: { n: number }) => {
          total += message.n;
        });
        call.on('end', () => callback(null, { total }));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    proxy = await startProxy({
      http: {
        routers: { grpc: { rule: 'PathPrefix(`/test.Greeter/`)', service: 'grpc' } },
        services: { grpc: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${port}` }] } } },
      },
    });
    const Constructor = grpc.makeGenericClientConstructor(service, 'Greeter');
    client = new Constructor(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure()) as unknown as Client;
  });

  after(async () => {
    client.close();
    await proxy.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('answers a unary call, with its metadata, headers and the OK status trailer', async () => {
    let headers: grpc.Metadata | null = null;
    let status: grpc.StatusObject | null = null;
    const reply = await new Promise<{ message: string; via: string }>((resolve, reject) => {
      const call = client.greet({ name: 'edge' }, (error: Error | null, value: { message: string; via: string }) =>
        error ? reject(error) : resolve(value),
      ) as grpc.ClientUnaryCall;
      call.on('metadata', (m: grpc.Metadata) => {
        headers = m;
      });
      call.on('status', (s: grpc.StatusObject) => {
        status = s;
      });
    });
    assert.equal(reply.message, 'hello edge');
    assert.equal(reply.via, 'http');
    assert.equal((headers as grpc.Metadata | null)?.get('x-served-by')[0], 'backend');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((status as grpc.StatusObject | null)?.code, grpc.status.OK);
  });

  it('relays an error status and its details (grpc-status, grpc-message trailers)', async () => {
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      client.fail({}, (err: grpc.ServiceError | null) => resolve(err as grpc.ServiceError));
    });
    assert.equal(error.code, grpc.status.NOT_FOUND);
    assert.equal(error.details, 'no such thing');
  });

  it('streams server messages', async () => {
    const received: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.count({ to: 50 }) as grpc.ClientReadableStream<{ n: number }>;
      call.on('data', (message: { n: number }) => received.push(message.n));
      call.on('error', reject);
      call.on('end', resolve);
    });
    assert.deepEqual(
      received,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('streams client messages', async () => {
    const reply = await new Promise<{ total: number }>((resolve, reject) => {
      const call = client.sum((error: Error | null, value: { total: number }) =>
        error ? reject(error) : resolve(value),
      ) as grpc.ClientWritableStream<{ n: number }>;
      for (let i = 1; i <= 100; i++) call.write({ n: i });
      call.end();
    });
    assert.equal(reply.total, 5050);
  });
});

describe('gRPC over TLS through the proxy (ALPN h2 from the client, h2c:// to the server)', () => {
  let server: grpc.Server;
  let proxy: TestProxy;
  let client: Client;

  before(async () => {
    server = new grpc.Server();
    server.addService(service, {
      greet: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        callback(null, { message: `hello ${call.request.name}`, via: call.metadata.get('x-forwarded-proto')[0] });
      },
      fail: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        callback({ code: grpc.status.PERMISSION_DENIED, details: 'not you' });
      },
      count: (call: grpc.ServerWritableStream<{ to: number }, unknown>) => {
        for (let i = 1; i <= call.request.to; i++) call.write({ n: i });
        call.end();
      },
      sum: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { total: 0 }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const ca = await makeCa();
    const pair = await makeCertificate(ca, ['grpc.test']);
    proxy = await startProxy(
      {
        http: {
          routers: {
            grpc: { rule: 'Host(`grpc.test`)', service: 'grpc', entryPoints: ['websecure'], tls: {} },
          },
          services: { grpc: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${port}` }] } } },
        },
        tls: { certificates: [{ certFile: pair.certPem, keyFile: pair.keyPem }] },
      },
      ['--entryPoints.websecure.address=127.0.0.1:0'],
    );
    const securePort = proxy.app.entryPoints.get('websecure')?.port ?? 0;
    const Constructor = grpc.makeGenericClientConstructor(service, 'Greeter');
    client = new Constructor(`127.0.0.1:${securePort}`, grpc.credentials.createSsl(Buffer.from(ca.certPem)), {
      'grpc.ssl_target_name_override': 'grpc.test',
      'grpc.default_authority': 'grpc.test',
    }) as unknown as Client;
  });

  after(async () => {
    client?.close();
    await proxy?.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('answers a unary call over TLS, forwarded with X-Forwarded-Proto https', async () => {
    const reply = await new Promise<{ message: string; via: string }>((resolve, reject) => {
      client.greet({ name: 'tls' }, (error: Error | null, value: { message: string; via: string }) =>
        error ? reject(error) : resolve(value),
      );
    });
    assert.equal(reply.message, 'hello tls');
    assert.equal(reply.via, 'https');
  });

  it('relays an error status over TLS and streams server messages', async () => {
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      client.fail({}, (err: grpc.ServiceError | null) => resolve(err as grpc.ServiceError));
    });
    assert.equal(error.code, grpc.status.PERMISSION_DENIED);
    assert.equal(error.details, 'not you');
    const received: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.count({ to: 20 }) as grpc.ClientReadableStream<{ n: number }>;
      call.on('data', (message: { n: number }) => received.push(message.n));
      call.on('error', reject);
      call.on('end', resolve);
    });
    assert.equal(received.length, 20);
  });
});
