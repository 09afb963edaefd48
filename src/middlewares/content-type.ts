/**
 * contentType: a response that has no Content-Type gets the one its first bytes show
 * (mime-sniff.ts, Go's DetectContentType). As in Traefik v3, Switchyard never sniffs unless a
 * router uses this middleware. `autoDetect` is Traefik's deprecated option: `false` makes the
 * middleware do nothing, `true` is the default; either is reported as deprecated.
 *
 * How: the middleware takes over `res.writeHead` of the request. A head that has a
 * Content-Type (or no body: HEAD, 1xx, 204, 304, or a Content-Encoding) is written at once and
 * the real method put back; otherwise the head waits for the first body chunk, which decides.
 */
import { ServerResponse } from 'node:http';
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { detectContentType } from './mime-sniff.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({ autoDetect: boolValue.optional() });

/** Validated contentType options. */
export type ContentTypeOptions = z.output<typeof schema>;

const proto = ServerResponse.prototype;
const PENDING = Symbol('switchyard.contentType');
/** Another middleware's writeHead that ours was installed over (errors), when there is one. */
const PREVIOUS = Symbol('switchyard.contentType.previous');

/** A head held back until the body shows its type. */
interface PendingHead {
  status: number;
  message: string | undefined;
  headers: unknown;
  /** The writeHead to call once the type is known (another middleware's, or Node's). */
  writeHead: HeadWriter;
}

type HeadWriter = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

type Sniffed = ServerResponse & { [PENDING]?: PendingHead | null; [PREVIOUS]?: HeadWriter };

function headerIn(headers: unknown, name: string): string | undefined {
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
    return undefined;
  }
  for (const key in headers as Record<string, unknown>) {
    if (key.toLowerCase() === name) return String((headers as Record<string, unknown>)[key]);
  }
  return undefined;
}

const protoWriteHead = proto.writeHead as HeadWriter;

/** Puts back the writeHead ours replaced, and returns it. */
function restoreHead(res: Sniffed): HeadWriter {
  const previous = res[PREVIOUS];
  if (previous === undefined) {
    delete (res as Partial<Sniffed>).writeHead;
    return protoWriteHead;
  }
  res.writeHead = previous as ServerResponse['writeHead'];
  res[PREVIOUS] = undefined;
  return previous;
}

/** `res.writeHead` under the middleware (`this` is the response). */
function holdHead(this: Sniffed, status: number, ...rest: unknown[]): ServerResponse {
  const writeHeadOf = restoreHead(this);
  const message = typeof rest[0] === 'string' ? rest[0] : undefined;
  const headers = typeof rest[0] === 'string' ? rest[1] : rest[0];
  const bodiless = status < 200 || status === 204 || status === 304 || this.req?.method === 'HEAD';
  if (
    bodiless ||
    headerIn(headers, 'content-type') !== undefined ||
    this.hasHeader('content-type') ||
    (headerIn(headers, 'content-encoding') ?? (this.getHeader('content-encoding') as string | undefined) ?? '') !== ''
  ) {
    return writeHeadOf.call(this, status, ...rest);
  }
  this[PENDING] = { status, message, headers, writeHead: writeHeadOf };
  this.write = sniffWrite as ServerResponse['write'];
  this.end = sniffEnd as ServerResponse['end'];
  return this;
}

/** Writes the held head, with the type of `chunk` when there is one. */
function release(res: Sniffed, chunk: unknown, encoding: unknown): void {
  const pending = res[PENDING];
  res[PENDING] = null;
  delete (res as Partial<Sniffed>).write;
  delete (res as Partial<Sniffed>).end;
  if (pending == null) return;
  const data =
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : null;
  let headers = pending.headers;
  if (data !== null && data.length > 0) {
    const type = detectContentType(data);
    if (Array.isArray(headers)) headers = [...headers, 'Content-Type', type];
    else if (headers !== undefined && headers !== null) headers = { ...(headers as object), 'content-type': type };
    else headers = { 'content-type': type };
  }
  const writeHead = pending.writeHead;
  if (pending.message === undefined) {
    if (headers === undefined) writeHead.call(res, pending.status);
    else writeHead.call(res, pending.status, headers);
  } else writeHead.call(res, pending.status, pending.message, headers);
}

// After the head, the body goes through whatever write/end the response has now: Node's, or
// those of a middleware that took the response over when it saw the head (errors).
function sniffWrite(this: Sniffed, chunk: unknown, ...rest: unknown[]): boolean {
  release(this, chunk, rest[0]);
  return (this.write as (...a: unknown[]) => boolean)(chunk, ...rest);
}

function sniffEnd(this: Sniffed, chunk?: unknown, ...rest: unknown[]): ServerResponse {
  release(this, typeof chunk === 'function' ? undefined : chunk, rest[0]);
  (this.end as (...a: unknown[]) => unknown)(chunk, ...rest);
  return this;
}

/** The contentType middleware type. */
export const contentType: MiddlewareDefinition<ContentTypeOptions> = {
  type: 'contentType',
  schema,
  build(options, context) {
    if (options.autoDetect !== undefined) {
      context.warn?.(
        'autoDetect is deprecated: the contentType middleware is only meant to enable content-type detection, remove the option',
      );
      if (!options.autoDetect) return (next: Handler): Handler => next;
    }
    return (next: Handler): Handler =>
      (ctx) => {
        if (ctx.upgradeHead == null) {
          const res = ctx.res as Sniffed;
          const current = res.writeHead as HeadWriter;
          if (current !== protoWriteHead) res[PREVIOUS] = current;
          res.writeHead = holdHead as ServerResponse['writeHead'];
        }
        next(ctx);
      };
  },
};
