/**
 * The answer side of grpcWeb: a gRPC server's answer (HTTP/2, status in trailers) rewritten as
 * gRPC-Web, as Traefik's grpc-web wrapper writes it: `application/grpc` becomes
 * `application/grpc-web` (or `-text`) in Content-Type, every response header is named in
 * Access-Control-Expose-Headers with `grpc-status` and `grpc-message`, and the trailers become a
 * last frame of the body (flag 0x80, a 4-byte length, then `name: value\r\n` lines, names in lower
 * case and sorted). The text variant base64-encodes the body, each write on its own (padded), as
 * the wrapper's flushes do.
 *
 * How: the request's response object gets its own writeHead, write, end and addTrailers (only on
 * gRPC-Web requests); the forwarding engine calls them as for any answer.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

const STATE = Symbol('switchyard.grpcWeb');

interface WebState {
  /** `application/grpc-web` or `application/grpc-web-text`. */
  readonly contentType: string;
  readonly text: boolean;
  /** Lower-case names sent in the head: their trailers are not repeated in the trailer frame. */
  sentNames: Set<string> | null;
  trailers: Array<[name: string, value: string]>;
  /** The response methods in place before ours (Node's, or another middleware's). */
  readonly writeHead: ServerResponse['writeHead'];
  readonly write: ServerResponse['write'];
  readonly end: ServerResponse['end'];
}

type WebResponse = ServerResponse & { [STATE]?: WebState };

/** Makes `res` answer in gRPC-Web; `text`: the base64 variant. */
export function answerAsGrpcWeb(res: ServerResponse, text: boolean): void {
  const web = res as WebResponse;
  web[STATE] = {
    contentType: text ? 'application/grpc-web-text' : 'application/grpc-web',
    text,
    sentNames: null,
    trailers: [],
    writeHead: res.writeHead,
    write: res.write,
    end: res.end,
  };
  res.writeHead = webWriteHead as ServerResponse['writeHead'];
  res.write = webWrite as ServerResponse['write'];
  res.end = webEnd as ServerResponse['end'];
  res.addTrailers = webAddTrailers;
}

/** Go's http.CanonicalHeaderKey for a token: upper case after the start and each `-`. */
export function canonicalName(name: string): string {
  let out = '';
  let upper = true;
  for (const char of name) {
    out += upper ? char.toUpperCase() : char.toLowerCase();
    upper = char === '-';
  }
  return out;
}

/** Puts `headers` (an object or a raw list) on the response, as writeHead would. */
function setAll(res: ServerResponse, headers: unknown): void {
  if (headers === undefined || headers === null) return;
  if (Array.isArray(headers)) {
    const grouped = new Map<string, string[]>();
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = String(headers[i]).toLowerCase();
      const values = grouped.get(name);
      const value = String(headers[i + 1]);
      if (values === undefined) grouped.set(name, [value]);
      else values.push(value);
    }
    for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    return;
  }
  for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
    if (value !== undefined) res.setHeader(name, value as string | string[]);
  }
}

/** Rewrites the head set on `res` into gRPC-Web's, and records which names it carries. */
function prepareHead(res: WebResponse, state: WebState): void {
  res.removeHeader('trailer');
  res.removeHeader('content-length');
  const type = res.getHeader('content-type');
  if (typeof type === 'string') res.setHeader('content-type', type.split('application/grpc').join(state.contentType));
  const names = res.getHeaderNames().filter((name) => name !== 'access-control-expose-headers');
  state.sentNames = new Set(names);
  res.setHeader(
    'access-control-expose-headers',
    [...names.map(canonicalName), 'grpc-status', 'grpc-message'].join(', '),
  );
}

function webWriteHead(this: WebResponse, status: number, ...rest: unknown[]): ServerResponse {
  const state = this[STATE] as WebState;
  const message = typeof rest[0] === 'string' ? rest[0] : undefined;
  setAll(this, message === undefined ? rest[0] : rest[1]);
  prepareHead(this, state);
  const writeHead = state.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  if (message === undefined) writeHead.call(this, status);
  else writeHead.call(this, status, message);
  return this;
}

function encode(state: WebState, chunk: Buffer): Buffer | string {
  return state.text ? chunk.toString('base64') : chunk;
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.alloc(0);
}

function webWrite(this: WebResponse, chunk: unknown, ...rest: unknown[]): boolean {
  const state = this[STATE] as WebState;
  if (!this.headersSent) webWriteHead.call(this, this.statusCode);
  const callback = rest.find((item) => typeof item === 'function') as ((error?: Error | null) => void) | undefined;
  const data = toBuffer(chunk, rest[0]);
  if (data.length === 0) {
    callback?.();
    return true;
  }
  return (state.write as (chunk: unknown, callback?: (error?: Error | null) => void) => boolean).call(
    this,
    encode(state, data),
    callback,
  );
}

function webAddTrailers(this: WebResponse, headers: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
  const state = this[STATE] as WebState;
  const entries: Array<[string, unknown]> = Array.isArray(headers)
    ? (headers as Array<[string, string]>)
    : Object.entries(headers as OutgoingHttpHeaders);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) state.trailers.push([name.toLowerCase(), String(item)]);
  }
}

/**
 * The trailer frame: trailers whose names the head did not carry (a "trailers-only" answer has its
 * status in the head, and an empty frame), as Go's Header.Write prints them: sorted by name, one
 * `name: value\r\n` per value, line breaks in values turned to spaces.
 */
export function trailerFrame(trailers: ReadonlyArray<[string, string]>, sentNames: ReadonlySet<string>): Buffer {
  const kept = trailers
    .filter(([name]) => name !== 'trailer' && !sentNames.has(name))
    .map(([name, value], index) => ({ name, value: value.replace(/[\r\n]/g, ' ').trim(), index }));
  // A stable sort by name keeps the order of a repeated name's values.
  kept.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index));
  const body = Buffer.from(kept.map(({ name, value }) => `${name}: ${value}\r\n`).join(''), 'utf8');
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame[0] = 0x80;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

function webEnd(this: WebResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
  const state = this[STATE] as WebState;
  const callback = [chunk, ...rest].find((item) => typeof item === 'function') as (() => void) | undefined;
  if (this.writableEnded) return this;
  if (!this.headersSent) webWriteHead.call(this, this.statusCode);
  if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') webWrite.call(this, chunk, rest[0]);
  const frame = trailerFrame(state.trailers, state.sentNames ?? new Set());
  (state.end as (chunk: unknown, callback?: () => void) => ServerResponse).call(this, encode(state, frame), callback);
  return this;
}
