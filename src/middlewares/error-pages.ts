/**
 * errors: when the response's status is in `status` (`500-599`, `404`, `400,418,500-599`), the
 * body the client gets comes from `service` instead, fetched with a GET of `query` (where
 * `{status}`, `{originalStatus}` and `{url}` are replaced), and the client still sees the
 * original status (or its `statusRewrites` value). As Traefik's customerrors: the error page
 * request carries the client's headers (only `errorRequestHeaders` when set) and its Host.
 *
 * How: the middleware takes over `res.writeHead` of the request for the head only. A status that
 * does not match puts the real method back and costs nothing more; a matching one swallows the
 * rest of the original response and runs the service's handler (the same handlers routers use,
 * reached through the build context) with a response that relays into the client's with the
 * status replaced. Nothing is buffered.
 */
import { EventEmitter } from 'node:events';
import { type IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { integerValue } from '../config/value-schemas.js';
import type { Logger } from '../core/logger.js';
import { sendError } from '../proxy/responses.js';
import { OptionError } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

/** A list of statuses or ranges: YAML gives numbers or strings, labels a comma-separated string. */
const statusList = z
  .union([z.array(z.union([z.string(), z.number()])), z.string(), z.number()], {
    error: 'expected a list of statuses or ranges such as "500-599"',
  })
  .transform((value) => (Array.isArray(value) ? value : [value]).map(String));

const schema = z.strictObject({
  status: statusList.optional(),
  statusRewrites: z.record(z.string(), integerValue()).optional(),
  service: z.string().trim(),
  query: z.string().optional(),
  errorRequestHeaders: z
    .union([z.array(z.string()), z.string()])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean))
    .optional(),
});

/** Validated errors options. */
export type ErrorPagesOptions = z.output<typeof schema>;

/** Inclusive status ranges. */
type Ranges = Array<[low: number, high: number]>;

/** Traefik's HTTPCodeRanges: `500`, `500-599`, comma-separated in one string or listed. */
export function parseStatusRanges(blocks: readonly string[], field: string): Ranges {
  const ranges: Ranges = [];
  for (const [index, block] of blocks.entries()) {
    for (const item of block.split(',')) {
      const parts = item.trim().split('-');
      const [low, high] = parts.length === 1 ? [parts[0], parts[0]] : parts;
      if (parts.length > 2 || !/^\d+$/.test(low ?? '') || !/^\d+$/.test(high ?? '')) {
        throw new OptionError(`${field}.${index}`, `invalid status or range ${JSON.stringify(item)} (e.g. 500-599)`);
      }
      ranges.push([Number(low), Number(high)]);
    }
  }
  return ranges;
}

function inRanges(ranges: Ranges, status: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as [number, number];
    if (status >= range[0] && status <= range[1]) return true;
  }
  return false;
}

/** Go's url.QueryEscape: encodeURIComponent, plus `!'()*`, and spaces as `+`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

const proto = ServerResponse.prototype;
const STATE = Symbol('switchyard.errorPages');

type Intercepted = ServerResponse & { [STATE]?: ErrorPageRequest };

/** What one request under the middleware needs when its head is written. */
class ErrorPageRequest {
  constructor(
    readonly pages: ErrorPages,
    readonly ctx: RequestContext,
    /** Another middleware's writeHead ours was installed over (contentType), or null. */
    readonly previous: HeadWriter | null,
  ) {}
}

type HeadWriter = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/** The middleware: its ranges, rewrites, query and service. */
class ErrorPages {
  constructor(
    readonly ranges: Ranges,
    readonly rewrites: Array<{ ranges: Ranges; to: number }>,
    readonly query: string,
    readonly headers: string[] | null,
    readonly service: Handler,
    readonly logger: Logger | undefined,
    readonly name: string,
  ) {}

  handle(ctx: RequestContext, next: Handler): void {
    if (ctx.upgradeHead != null) {
      next(ctx);
      return;
    }
    const res = ctx.res as Intercepted;
    const current = res.writeHead as HeadWriter;
    res[STATE] = new ErrorPageRequest(this, ctx, current === proto.writeHead ? null : current);
    res.writeHead = interceptHead as ServerResponse['writeHead'];
    next(ctx);
  }

  /** The status the client gets for `status`. */
  rewrite(status: number): number {
    for (const rewrite of this.rewrites) if (inRanges(rewrite.ranges, status)) return rewrite.to;
    return status;
  }

  /** Fetches the error page from the service into `res`, with `status`. */
  serve(ctx: RequestContext, status: number, originalStatus: number): void {
    const original = ctx.req;
    const host = original.headers.host ?? ctx.host;
    const url = `${ctx.scheme}://${host}${ctx.path}${ctx.query === '' ? '' : `?${ctx.query}`}`;
    let target = '/';
    if (this.query !== '') {
      target = `/${this.query.replace(/^\/+/, '')}`
        .replaceAll('{status}', String(status))
        .replaceAll('{originalStatus}', String(originalStatus))
        .replaceAll('{url}', queryEscape(url));
    }
    const queryAt = target.indexOf('?');
    const headers: IncomingMessage['headers'] = {};
    if (this.headers === null) {
      for (const name in original.headers) {
        if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = original.headers[name];
      }
    } else {
      for (const name of this.headers) {
        const lower = name.toLowerCase();
        if (original.headers[lower] !== undefined) headers[lower] = original.headers[lower];
      }
    }
    headers.host = host;
    const relay = new StatusRelay(ctx.res, status);
    const page: RequestContext = {
      req: { headers, method: 'GET', url: target, socket: original.socket, httpVersion: '1.1' } as IncomingMessage,
      res: relay as unknown as ServerResponse,
      path: queryAt === -1 ? target : target.slice(0, queryAt),
      query: queryAt === -1 ? '' : target.slice(queryAt + 1),
      host: ctx.host,
      scheme: ctx.scheme,
      entryPoint: ctx.entryPoint,
      router: ctx.router,
      responseHeaders: ctx.responseHeaders,
      strippedPrefix: null,
      service: '',
      serverUrl: '',
      upgradeHead: null,
      retries: 0,
      bufferedBody: null,
    };
    try {
      this.service(page);
    } catch (error) {
      this.logger?.error({ middleware: this.name, err: (error as Error).message }, 'errors: the error page failed');
      sendError(relay as unknown as ServerResponse, status);
    }
  }
}

/** `res.writeHead` while the status is not known yet (`this` is the response). */
function interceptHead(this: Intercepted, status: number, ...rest: unknown[]): ServerResponse {
  const state = this[STATE];
  this[STATE] = undefined;
  // Own properties shadow the prototype: deleting puts the real method back (or the one of a
  // middleware ours was installed over).
  let call = proto.writeHead as HeadWriter;
  if (state?.previous == null) delete (this as Partial<Intercepted>).writeHead;
  else {
    call = state.previous;
    this.writeHead = call as ServerResponse['writeHead'];
  }
  if (state === undefined || status < 200 || !inRanges(state.pages.ranges, status)) {
    return call.call(this, status, ...rest);
  }
  // The original response is dropped, head and body; its headers set so far too.
  for (const name of this.getHeaderNames()) this.removeHeader(name);
  this.write = swallowWrite as ServerResponse['write'];
  this.end = swallowEnd as ServerResponse['end'];
  const pages = state.pages;
  pages.serve(state.ctx, pages.rewrite(status), status);
  return this;
}

function callbackOf(args: unknown[]): (() => void) | undefined {
  for (const arg of args) if (typeof arg === 'function') return arg as () => void;
  return undefined;
}

/** The original response's body, after a matching status: dropped, callbacks still called. */
function swallowWrite(this: ServerResponse, ...args: unknown[]): boolean {
  const callback = callbackOf(args);
  if (callback !== undefined) process.nextTick(callback);
  return true;
}

function swallowEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
  const callback = callbackOf(args);
  if (callback !== undefined) process.nextTick(callback);
  return this;
}

/**
 * The response the error-page service writes into: the client's response, through the
 * prototype's methods (the instance's are swallowing the original body), with the status
 * replaced. Enough of ServerResponse for the service handlers (forwarding, sendError).
 */
class StatusRelay extends EventEmitter {
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    public statusCode: number,
  ) {
    super();
    res.on('drain', () => this.emit('drain'));
    res.once('close', () => this.emit('close'));
    // Errors of the client's response are handled by its owner; a relay must not throw them.
    this.on('error', () => undefined);
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }
  get writableEnded(): boolean {
    return this.ended || this.res.writableEnded;
  }
  get writableFinished(): boolean {
    return this.res.writableFinished;
  }
  get destroyed(): boolean {
    return this.res.destroyed;
  }
  get socket(): ServerResponse['socket'] {
    return this.res.socket;
  }
  set shouldKeepAlive(value: boolean) {
    this.res.shouldKeepAlive = value;
  }
  get shouldKeepAlive(): boolean {
    return this.res.shouldKeepAlive;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    proto.setHeader.call(this.res, name, value);
    return this;
  }
  getHeader(name: string): ReturnType<ServerResponse['getHeader']> {
    return this.res.getHeader(name);
  }
  hasHeader(name: string): boolean {
    return this.res.hasHeader(name);
  }
  removeHeader(name: string): void {
    this.res.removeHeader(name);
  }

  writeHead(_status: number, ...rest: unknown[]): this {
    // The reason phrase of the page's own status would contradict ours: Node picks the right one.
    const headers = typeof rest[0] === 'string' ? rest[1] : rest[0];
    const call = proto.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
    if (headers === undefined) call.call(this.res, this.statusCode);
    else call.call(this.res, this.statusCode, headers);
    return this;
  }

  write(...args: unknown[]): boolean {
    if (!this.res.headersSent) this.writeHead(this.statusCode);
    return (proto.write as (...a: unknown[]) => boolean).apply(this.res, args);
  }

  end(...args: unknown[]): this {
    if (this.ended) return this;
    this.ended = true;
    if (!this.res.headersSent) this.writeHead(this.statusCode);
    (proto.end as (...a: unknown[]) => unknown).apply(this.res, args);
    return this;
  }

  destroy(error?: Error): this {
    proto.destroy.call(this.res, error);
    return this;
  }
}

/** The errors middleware type. */
export const errorPages: MiddlewareDefinition<ErrorPagesOptions> = {
  type: 'errors',
  schema,
  build(options, context) {
    const ranges = parseStatusRanges(options.status ?? [], 'status');
    const rewrites: Array<{ ranges: Ranges; to: number }> = [];
    for (const [from, to] of Object.entries(options.statusRewrites ?? {})) {
      if (to < 100 || to > 599) throw new OptionError(`statusRewrites.${from}`, `invalid HTTP status code ${to}`);
      rewrites.push({ ranges: parseStatusRanges([from], 'statusRewrites'), to });
    }
    if (options.service === '') throw new OptionError('service', 'the service serving the error pages is required');
    if (context.service === undefined) throw new OptionError('service', 'services cannot be reached from here');
    let service: Handler;
    try {
      service = context.service(options.service);
    } catch (error) {
      throw new OptionError('service', (error as Error).message);
    }
    const pages = new ErrorPages(
      ranges,
      rewrites,
      options.query ?? '',
      options.errorRequestHeaders ?? null,
      service,
      context.logger,
      context.name,
    );
    return (next: Handler): Handler =>
      (ctx) =>
        pages.handle(ctx, next);
  },
};
