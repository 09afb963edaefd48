import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { servingStatus } from './grpc-health-probe.js';
import { probe, resolveProbe } from './health-probe.js';

/** Messages as raw bytes: the health protocol's protobuf is encoded by hand below. */
const raw = { serialize: (value: Buffer) => value, deserialize: (bytes: Buffer) => bytes };

const healthService: grpc.ServiceDefinition = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  },
};

/** HealthCheckResponse{status}: field 1, varint (omitted when 0, as protobuf does). */
function response(status: number): Buffer {
  return status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, status]);
}

async function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

describe('gRPC health probe (healthCheck.mode: grpc)', () => {
  let server: grpc.Server;
  let bare: grpc.Server;
  let port: number;
  let barePort: number;
  const state = { status: 1, requests: [] as Buffer[], silent: false };

  before(async () => {
    server = new grpc.Server();
    server.addService(healthService, {
      check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        state.requests.push(call.request);
        if (state.silent) return;
        callback(null, response(state.status));
      },
    });
    port = await listen(server);
    // A gRPC server without the health service.
    bare = new grpc.Server();
    barePort = await listen(bare);
  });

  after(() => {
    server.forceShutdown();
    bare.forceShutdown();
  });

  const spec = (url: string, extra: object = {}) => resolveProbe({ mode: 'grpc', timeout: 2000, ...extra }, url, false);

  it('is healthy when Health/Check answers SERVING, and sends an empty HealthCheckRequest', async () => {
    state.status = 1;
    state.requests = [];
    assert.deepEqual(await probe(spec(`h2c://127.0.0.1:${port}`)), { healthy: true, reason: '' });
    assert.deepEqual(state.requests, [Buffer.alloc(0)]);
  });

  it('is unhealthy with any other serving status, named', async () => {
    for (const [status, name] of [
      [2, 'NOT_SERVING'],
      [0, 'UNKNOWN'],
      [3, 'SERVICE_UNKNOWN'],
    ] as const) {
      state.status = status;
      assert.deepEqual(await probe(spec(`h2c://127.0.0.1:${port}`)), {
        healthy: false,
        reason: `received gRPC status code: ${name}`,
      });
    }
    state.status = 1;
  });

  it('reaches the health port given by `port`, whatever the server URL', async () => {
    assert.equal((await probe(spec('http://127.0.0.1:1', { port }))).healthy, true);
  });

  it('says when the server has no health service, when nothing listens, and when it does not answer', async () => {
    const unimplemented = await probe(spec(`h2c://127.0.0.1:${barePort}`));
    assert.equal(unimplemented.healthy, false);
    assert.match(unimplemented.reason, /^gRPC server does not implement the health protocol/);
    const closed = await probe(spec('h2c://127.0.0.1:1'));
    assert.equal(closed.healthy, false);
    assert.match(closed.reason, /^fail to connect to 127\.0\.0\.1:1: ECONNREFUSED/);
    state.silent = true;
    try {
      const silent = await probe(spec(`h2c://127.0.0.1:${port}`, { timeout: 300 }));
      assert.deepEqual(silent, { healthy: false, reason: 'gRPC health check timeout after 300 ms' });
    } finally {
      state.silent = false;
    }
  });

  it('validates its keys at build time', () => {
    assert.throws(
      () => resolveProbe({ mode: 'tcp' }, 'http://a:1', false),
      /healthCheck\.mode: expected "http" or "grpc"/,
    );
    assert.throws(
      () => resolveProbe({ mode: 'grpc', scheme: 'ftp' }, 'http://a:1', false),
      /healthCheck\.scheme: expected http, h2c or https with mode grpc/,
    );
    assert.equal(resolveProbe({ mode: 'grpc' }, 'https://a', false).grpc?.port, 443);
    assert.equal(resolveProbe({ mode: 'grpc' }, 'https://a', false).grpc?.scheme, 'https');
    assert.equal(resolveProbe({ mode: 'gRPC', scheme: 'h2c' }, 'https://a:8443', false).grpc?.scheme, 'h2c');
  });

  it('reads HealthCheckResponse bytes, skipping unknown fields', () => {
    assert.equal(servingStatus(Buffer.alloc(0)), 0);
    assert.equal(servingStatus(Buffer.from([0x08, 0x01])), 1);
    assert.equal(servingStatus(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x08, 0x02])), 2);
    assert.equal(servingStatus(Buffer.from([0x08])), null);
    assert.equal(servingStatus(Buffer.from([0x12, 0x05, 0x61])), null);
  });
});
