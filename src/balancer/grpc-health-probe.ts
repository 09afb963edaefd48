/**
 * One gRPC health probe (`healthCheck.mode: grpc`): the gRPC Health Checking Protocol's
 * `grpc.health.v1.Health/Check` with an empty service name, over HTTP/2, as Traefik's checker
 * calls it. Healthy only when the call succeeds (grpc-status 0) and the answer's status is
 * SERVING; an UNIMPLEMENTED call says the server has no health service.
 *
 * The two messages are tiny and encoded by hand (no protobuf library): HealthCheckRequest is
 * `service = 1: string` (empty, so no bytes), HealthCheckResponse is `status = 1: enum` (a
 * varint; absent means UNKNOWN).
 */
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from 'node:http2';

/** HealthCheckResponse.ServingStatus names, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** The request: one uncompressed gRPC message of zero bytes (HealthCheckRequest{service: ""}). */
const REQUEST = Buffer.from([0, 0, 0, 0, 0]);

/** Where and how to call: `h2c` for plaintext HTTP/2, `https` for TLS with ALPN h2. */
export interface GrpcProbeTarget {
  readonly scheme: 'h2c' | 'https';
  readonly host: string;
  readonly port: number;
  readonly insecureSkipVerify: boolean;
}

/** The outcome of one probe (same shape as the HTTP probe's). */
export interface GrpcProbeResult {
  healthy: boolean;
  reason: string;
}

/**
 * The serving status in a HealthCheckResponse's bytes: field 1 as a varint; other fields are
 * skipped by their wire type. Null when the bytes are not a valid message.
 */
export function servingStatus(message: Buffer): number | null {
  let status = 0;
  let at = 0;
  const varint = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= message.length) return null;
      const byte = message[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  while (at < message.length) {
    const key = varint();
    if (key === null) return null;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      if (value === null) return null;
      if (field === 1) status = value;
    } else if (wire === 2) {
      const length = varint();
      if (length === null || at + length > message.length) return null;
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else return null;
    if (at > message.length) return null;
  }
  return status;
}

/** The first gRPC message of a response body, or null when the body holds none whole. */
function firstMessage(body: Buffer): Buffer | null {
  if (body.length < 5) return null;
  if (body[0] !== 0) return null; // compressed: the probe never asks for it
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return null;
  return body.subarray(5, 5 + length);
}

function verdict(headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders, body: Buffer): GrpcProbeResult {
  const httpStatus = Number(headers[':status']);
  if (httpStatus !== 200) return { healthy: false, reason: `gRPC health check failed: HTTP status ${httpStatus}` };
  // A "trailers-only" answer carries grpc-status in its head.
  const code = Number(trailers['grpc-status'] ?? headers['grpc-status'] ?? Number.NaN);
  if (Number.isNaN(code)) return { healthy: false, reason: 'gRPC health check failed: no grpc-status' };
  if (code !== 0) {
    const message = decodeURIComponent(String(trailers['grpc-message'] ?? headers['grpc-message'] ?? ''));
    if (code === 12)
      return { healthy: false, reason: `gRPC server does not implement the health protocol: ${message}` };
    return { healthy: false, reason: `gRPC health check failed: code ${code}${message === '' ? '' : `: ${message}`}` };
  }
  const message = firstMessage(body);
  const status = message === null ? null : servingStatus(message);
  if (status === null) return { healthy: false, reason: 'gRPC health check failed: malformed HealthCheckResponse' };
  if (status === 1) return { healthy: true, reason: '' };
  return { healthy: false, reason: `received gRPC status code: ${SERVING_STATUS[status] ?? status}` };
}

/** Calls Health/Check once on `target`; never rejects. `timeout` in ms. */
export function probeGrpc(target: GrpcProbeTarget, timeout: number): Promise<GrpcProbeResult> {
  return new Promise((resolve) => {
    let session: ClientHttp2Session | undefined;
    let settled = false;
    const finish = (result: GrpcProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ healthy: false, reason: `gRPC health check timeout after ${timeout} ms` }),
      timeout,
    );
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const authority = `${host}:${target.port}`;
    try {
      session =
        target.scheme === 'https'
          ? connect(`https://${authority}`, { rejectUnauthorized: !target.insecureSkipVerify, ALPNProtocols: ['h2'] })
          : connect(`http://${authority}`);
      session.on('error', (error: NodeJS.ErrnoException) =>
        finish({ healthy: false, reason: `fail to connect to ${authority}: ${error.code ?? error.message}` }),
      );
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        ':authority': authority,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('response', (h) => {
        headers = h;
      });
      stream.on('trailers', (t) => {
        trailers = t;
      });
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // A health answer is a few bytes: a server sending more is not answering this call.
        if (size > 64 * 1024) finish({ healthy: false, reason: 'gRPC health check failed: answer too large' });
        else chunks.push(chunk);
      });
      stream.on('end', () => finish(verdict(headers, trailers, Buffer.concat(chunks))));
      // A session that fails (connection refused) cancels its stream first: the session's
      // reason, which says more, is given the chance to be the one reported.
      stream.on('error', (error: NodeJS.ErrnoException) =>
        setImmediate(finish, { healthy: false, reason: `gRPC health check failed: ${error.code ?? error.message}` }),
      );
      stream.on('close', () => {
        if (stream.rstCode !== constants.NGHTTP2_NO_ERROR)
          setImmediate(finish, {
            healthy: false,
            reason: `gRPC health check failed: stream reset (${stream.rstCode})`,
          });
      });
      stream.end(REQUEST);
    } catch (error) {
      finish({ healthy: false, reason: `gRPC health check failed: ${(error as Error).message}` });
    }
  });
}
