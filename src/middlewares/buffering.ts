/**
 * buffering: reads the whole request before it goes to the server, and the whole response
 * before it goes to the client, as Traefik's buffering middleware. Each body is kept in memory
 * up to `mem…BodyBytes`, then in a temporary file (spill-buffer.ts) removed when the response
 * closes, however it closes. A request larger than `maxRequestBodyBytes` is answered 413 and
 * never forwarded; a response larger than `maxResponseBodyBytes` is replaced by a 500. Bodies
 * then go on with a Content-Length. With `retryExpression` (buffer-retry-expression.ts), a
 * whole buffered answer the expression objects to is dropped and the exchange replayed with the
 * kept request body, the rest of the chain run again (at most 10 replays, as oxy's buffer).
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { integerValue } from '../config/value-schemas.js';
import { hasRequestBody } from '../proxy/buffered-body.js';
import { sendError } from '../proxy/responses.js';
import { compileReplayExpression, type ReplayPredicate } from './buffer-retry-expression.js';
import { OptionError } from './options.js';
import {
  captureHead,
  chunkArguments,
  type End,
  type ResponseHead,
  type Write,
  type WriteHead,
  writeCapturedHead,
} from './response-head.js';
import { SpillBuffer } from './spill-buffer.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const DEFAULT_MEM_BYTES = 1024 * 1024;
/** oxy's DefaultMaxRetryAttempts: no replay once this many tries were made. */
const MAX_REPLAY_ATTEMPTS = 10;

const schema = z.strictObject({
  maxRequestBodyBytes: integerValue(0).optional(),
  memRequestBodyBytes: integerValue(0).optional(),
  maxResponseBodyBytes: integerValue(0).optional(),
  memResponseBodyBytes: integerValue(0).optional(),
  retryExpression: z.string().optional(),
});

/** Validated buffering options. */
export type BufferingOptions = z.output<typeof schema>;

interface Limits {
  /** 0: no limit. */
  readonly maxRequest: number;
  readonly memRequest: number;
  readonly maxResponse: number;
  readonly memResponse: number;
  /** `retryExpression` compiled, or null. */
  readonly replay: ReplayPredicate | null;
}

const STATE = Symbol('switchyard.buffering');
type Patched = ServerResponse & { [STATE]?: BufferedResponse };

/** Answers 413 and closes the connection: the rest of the body is not worth reading. */
function tooLarge(ctx: RequestContext): void {
  const res = ctx.res;
  if (res.headersSent || res.writableEnded) return;
  const body = 'Request Entity Too Large\n';
  res.writeHead(413, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** One request body being read whole. */
class BufferedRequest {
  readonly body: SpillBuffer;
  done = false;

  constructor(
    readonly ctx: RequestContext,
    readonly limits: Limits,
    readonly next: Handler,
  ) {
    const req = ctx.req;
    this.body = new SpillBuffer(
      limits.memRequest,
      () => req.resume(),
      (error) => this.fail(error),
    );
  }

  start(): void {
    const req = this.ctx.req;
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.once('end', () => this.onEnd());
    req.once('error', () => this.abandon());
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    const max = this.limits.maxRequest;
    if (max > 0 && this.body.size + chunk.length > max) {
      this.done = true;
      this.body.dispose();
      this.ctx.req.pause();
      tooLarge(this.ctx);
      return;
    }
    if (!this.body.write(chunk, true)) this.ctx.req.pause();
  }

  private onEnd(): void {
    if (this.done) return;
    this.body.finish(() => {
      if (this.done) return;
      this.done = true;
      const ctx = this.ctx;
      if (ctx.res.destroyed || ctx.res.writableEnded) return;
      const headers = ctx.req.headers;
      if (this.body.spilled) {
        // The server gets a plain length however the client framed it.
        delete headers['transfer-encoding'];
        headers['content-length'] = String(this.body.size);
        ctx.bodySource = this.body.open();
        const response = (ctx.res as Patched)[STATE];
        // A replay reads the kept body again from its file.
        if (response !== undefined) response.reopenBody = () => this.body.open();
      } else {
        ctx.bufferedBody = this.body.memory();
      }
      this.next(ctx);
    });
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.body.dispose();
    sendError(this.ctx.res, 500, `buffering the request failed: ${error.message}\n`);
  }

  /** The client went away: nothing to send, only to free. */
  abandon(): void {
    this.done = true;
    this.body.dispose();
  }
}

enum Phase {
  Head,
  Body,
  /** Over the limit: the 500 went out, the rest is dropped. */
  Refused,
  /** The whole response went (or is going) out. */
  Sent,
}

/** One response being read whole before it is sent. */
class BufferedResponse {
  phase = Phase.Head;
  head: ResponseHead | null = null;
  body: SpillBuffer;
  bodiless = false;
  endCallback: (() => void) | undefined;
  /** Tries made so far (the first counted), for `Attempts()`. */
  attempt = 1;
  /** Reopens a request body kept in a file, for a replay (set once the body is read). */
  reopenBody: (() => RequestContext['bodySource']) | null = null;
  /** What the rest of the chain may change and a replay puts back. */
  private readonly before: ReplaySnapshot | null;

  constructor(
    readonly ctx: RequestContext,
    readonly limits: Limits,
    readonly next: Handler,
    readonly writeHead: WriteHead,
    readonly write: Write,
    readonly end: End,
  ) {
    this.body = this.newBody();
    this.before = limits.replay === null ? null : new ReplaySnapshot(ctx);
  }

  get res(): ServerResponse {
    return this.ctx.res;
  }

  get headRequest(): boolean {
    return this.ctx.req.method === 'HEAD';
  }

  private newBody(): SpillBuffer {
    const res = this.ctx.res;
    return new SpillBuffer(
      this.limits.memResponse,
      () => res.emit('drain'),
      (error) => this.refuse(error.message),
    );
  }

  /**
   * Whether the whole answer just buffered is dropped and the exchange replayed, as
   * `retryExpression` decides; if so the replay is under way.
   */
  replays(): boolean {
    const predicate = this.limits.replay;
    const head = this.head;
    if (predicate === null || head === null || this.before === null || this.attempt > MAX_REPLAY_ATTEMPTS) return false;
    const facts = { attempts: this.attempt, responseCode: head.status, method: this.ctx.req.method ?? 'GET' };
    // A body another middleware substituted, and this one did not keep, cannot be sent again.
    if (this.ctx.bodySource != null && this.reopenBody === null) return false;
    if (!predicate(facts)) return false;
    this.attempt++;
    this.body.dispose();
    this.body = this.newBody();
    this.head = null;
    this.bodiless = false;
    this.phase = Phase.Head;
    this.before.restore(this.ctx);
    if (this.ctx.bodySource != null && this.reopenBody !== null) this.ctx.bodySource = this.reopenBody();
    // After the ending exchange has unwound (its socket back in the pool).
    process.nextTick(replay, this);
    return true;
  }

  onHead(status: number, reason: unknown, headers: unknown): void {
    this.head = captureHead(this.res, status, reason, headers);
    this.bodiless = this.headRequest || status === 204 || status === 304 || status < 200;
    this.phase = Phase.Body;
  }

  take(chunk: Buffer, callback: (() => void) | undefined): boolean {
    const max = this.limits.maxResponse;
    if (max > 0 && this.body.size + chunk.length > max) {
      this.refuse('the response is larger than maxResponseBodyBytes');
      if (callback !== undefined) process.nextTick(callback);
      return true;
    }
    return this.body.write(chunk, false, callback);
  }

  /** Replaces the response by a 500 (nothing of it went out yet). */
  refuse(_why: string): void {
    if (this.phase === Phase.Refused || this.phase === Phase.Sent) return;
    this.phase = Phase.Refused;
    this.body.dispose();
    const text = 'Internal Server Error\n';
    this.writeHead.call(this.res, 500, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    this.end.call(this.res, text);
  }

  /** Everything arrived: the head with the real length, then the body. */
  flush(): void {
    const head = this.head!;
    this.phase = Phase.Sent;
    if (!this.bodiless) {
      head.delete('transfer-encoding');
      head.set('Content-Length', String(this.body.size));
    }
    this.body.finish(() => {
      const res = this.res;
      if (res.destroyed) return;
      writeCapturedHead(res, this.writeHead, head);
      if (!this.body.spilled) {
        const data = this.body.memory();
        this.end.call(res, data.length > 0 ? data : undefined, this.endCallback);
        return;
      }
      const reader = this.body.open();
      reader.on('data', (chunk) => {
        if (!this.write.call(res, chunk)) {
          reader.pause();
          res.once('drain', () => reader.resume());
        }
      });
      reader.once('end', () => this.end.call(res, this.endCallback));
      reader.once('error', (error) => res.destroy(error));
    });
  }
}

/** The request context and response headers as they were when the buffering began. */
class ReplaySnapshot {
  readonly path: string;
  readonly query: string;
  readonly strippedPrefix: string | null;
  readonly responseHeaders: number;
  readonly headers: ReturnType<ServerResponse['getHeaders']>;
  constructor(ctx: RequestContext) {
    this.path = ctx.path;
    this.query = ctx.query;
    this.strippedPrefix = ctx.strippedPrefix;
    this.responseHeaders = ctx.responseHeaders === null ? -1 : ctx.responseHeaders.length;
    this.headers = ctx.res.getHeaders();
  }
  restore(ctx: RequestContext): void {
    ctx.path = this.path;
    ctx.query = this.query;
    ctx.strippedPrefix = this.strippedPrefix;
    if (this.responseHeaders === -1) ctx.responseHeaders = null;
    else ctx.responseHeaders?.splice(this.responseHeaders);
    const res = ctx.res;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    for (const [name, value] of Object.entries(this.headers)) if (value !== undefined) res.setHeader(name, value);
    res.statusCode = 200;
  }
}

function replay(state: BufferedResponse): void {
  const res = state.ctx.res;
  // The client went away meanwhile: nobody is waiting for an answer.
  if (res.destroyed || res.writableEnded) return;
  state.next(state.ctx);
}

function patchedWriteHead(this: Patched, status: number, reason?: unknown, headers?: unknown): ServerResponse {
  const state = this[STATE]!;
  if (state.phase === Phase.Head) state.onHead(status, reason, headers);
  else if (state.phase === Phase.Sent) return state.writeHead.call(this, status, reason as string, headers as never);
  return this;
}

function patchedWrite(this: Patched, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const state = this[STATE]!;
  if (state.phase === Phase.Sent) return state.write.call(this, chunk, encoding, callback);
  if (state.phase === Phase.Head) state.onHead(this.statusCode, undefined, undefined);
  const { data, callback: cb } = chunkArguments(chunk, encoding, callback);
  if (state.phase === Phase.Refused || data === null || data.length === 0) {
    if (cb !== undefined) process.nextTick(cb);
    return true;
  }
  return state.take(data, cb);
}

function patchedEnd(this: Patched, chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
  const state = this[STATE]!;
  if (state.phase === Phase.Sent) return state.end.call(this, chunk, encoding, callback);
  if (state.phase === Phase.Head) state.onHead(this.statusCode, undefined, undefined);
  const { data, callback: cb } = chunkArguments(chunk, encoding, callback);
  if (state.phase === Phase.Refused) return this;
  if (data !== null && data.length > 0) state.take(data, undefined);
  // take() may have refused it.
  if (state.phase !== Phase.Body) return this;
  if (state.replays()) {
    if (cb !== undefined) process.nextTick(cb);
    return this;
  }
  state.endCallback = cb;
  state.flush();
  return this;
}

function onResponseClose(this: Patched): void {
  this[STATE]?.body.dispose();
}

function bufferResponse(ctx: RequestContext, limits: Limits, next: Handler): void {
  const res = ctx.res as Patched;
  if (res[STATE] !== undefined) return;
  res[STATE] = new BufferedResponse(ctx, limits, next, res.writeHead as WriteHead, res.write as Write, res.end as End);
  res.writeHead = patchedWriteHead as ServerResponse['writeHead'];
  res.write = patchedWrite as ServerResponse['write'];
  res.end = patchedEnd as ServerResponse['end'];
  res.once('close', onResponseClose);
}

function handle(limits: Limits, next: Handler, ctx: RequestContext): void {
  if (ctx.upgradeHead != null) {
    next(ctx);
    return;
  }
  const req = ctx.req;
  if (limits.maxRequest > 0) {
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > limits.maxRequest) {
      tooLarge(ctx);
      return;
    }
  }
  bufferResponse(ctx, limits, next);
  if (ctx.bufferedBody != null || ctx.bodySource != null || !hasRequestBody(req)) {
    next(ctx);
    return;
  }
  const request = new BufferedRequest(ctx, limits, next);
  // However the exchange ends (answered, refused, the client gone), the temporary file goes.
  ctx.res.once('close', () => request.abandon());
  request.start();
}

/** The buffering middleware type. */
export const buffering: MiddlewareDefinition<BufferingOptions> = {
  type: 'buffering',
  schema,
  build(options) {
    let replay: ReplayPredicate | null = null;
    if (options.retryExpression !== undefined && options.retryExpression.trim() !== '') {
      try {
        replay = compileReplayExpression(options.retryExpression);
      } catch (error) {
        throw new OptionError('retryExpression', (error as Error).message);
      }
    }
    const limits: Limits = {
      replay,
      maxRequest: options.maxRequestBodyBytes ?? 0,
      memRequest: options.memRequestBodyBytes ?? DEFAULT_MEM_BYTES,
      maxResponse: options.maxResponseBodyBytes ?? 0,
      memResponse: options.memResponseBodyBytes ?? DEFAULT_MEM_BYTES,
    };
    return (next: Handler): Handler =>
      (ctx) =>
        handle(limits, next, ctx);
  },
};
