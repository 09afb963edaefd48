/**
 * The `mirroring` service: every request goes to the main service, and a copy of `percent` of
 * them goes to each mirror, whose answers are discarded. Which requests are copied is decided by
 * an accumulator, so 10% is exactly one request in ten, not a coin toss. Bodies are copied only
 * when `mirrorBody` is on and the body fits `maxBodySize` (it is then read into memory once);
 * a larger body still reaches the main service, just not the mirrors.
 */
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import type { RequestContext } from '../../core/request-context.js';
import { bufferableLength, hasRequestBody, readBody } from '../../proxy/buffered-body.js';
import type { ServiceHandle } from './handle.js';

/** Mirroring options, resolved by the builder. */
export interface MirroringOptions {
  mirrors: Array<{ handle: ServiceHandle; percent: number }>;
  mirrorBody: boolean;
  /** Largest body copied to mirrors, in bytes; negative means no limit (Traefik's -1). */
  maxBodySize: number;
}

/** A response sink for mirrored requests: accepts everything, keeps nothing. */
class DiscardResponse extends Writable {
  headersSent = false;
  statusCode = 200;
  constructor() {
    super();
    // A mirror that fails mid-answer destroys its response with an error nobody awaits.
    this.on('error', ignore);
  }
  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  /** What the HTTP/2 forwarder calls for an answer with no body, and for trailers: nothing kept. */
  setHeader(): this {
    return this;
  }
  addTrailers(): void {}
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

function ignore(): void {}

const BODY_HEADERS = new Set(['content-length', 'transfer-encoding']);

/** A mirroring service. */
export class MirroringService implements ServiceHandle {
  readonly handler: (ctx: RequestContext) => void;
  /** Per-mirror accumulators of percent points. */
  private readonly credit: Float64Array;
  /** Mirrors chosen for the current request (reused; filled and read synchronously). */
  private readonly chosen: ServiceHandle[] = [];

  constructor(
    readonly name: string,
    private readonly main: ServiceHandle,
    private readonly options: MirroringOptions,
  ) {
    for (const [i, mirror] of options.mirrors.entries()) {
      if (mirror.percent < 0 || mirror.percent > 100)
        throw new Error(`mirroring.mirrors[${i}].percent: expected 0 to 100`);
    }
    this.credit = new Float64Array(options.mirrors.length);
    this.handler = (ctx) => this.handle(ctx);
  }

  available(now: number): boolean {
    return this.main.available(now);
  }

  private handle(ctx: RequestContext): void {
    const mirrors = this.pickMirrors();
    if (mirrors.length === 0 || ctx.upgradeHead != null) {
      this.main.handler(ctx);
      return;
    }
    if (!hasRequestBody(ctx.req)) {
      this.copy(ctx, mirrors, true);
      this.main.handler(ctx);
      return;
    }
    if (!this.options.mirrorBody) {
      this.copy(ctx, mirrors, false);
      this.main.handler(ctx);
      return;
    }
    if (ctx.bufferedBody == null && bufferableLength(ctx.req, this.options.maxBodySize) < 0) {
      // Too large to copy: the main service still gets the request, streamed.
      this.main.handler(ctx);
      return;
    }
    if (ctx.bufferedBody != null) {
      this.copy(ctx, mirrors, true);
      this.main.handler(ctx);
      return;
    }
    const copies = mirrors.slice();
    readBody(ctx.req).then(
      (body) => {
        ctx.bufferedBody = body;
        this.copy(ctx, copies, true);
        this.main.handler(ctx);
      },
      () => ctx.res.destroy(),
    );
  }

  /** The mirrors that get a copy of this request. */
  private pickMirrors(): ServiceHandle[] {
    const chosen = this.chosen;
    chosen.length = 0;
    const mirrors = this.options.mirrors;
    for (let i = 0; i < mirrors.length; i++) {
      const mirror = mirrors[i] as { handle: ServiceHandle; percent: number };
      const credit = (this.credit[i] as number) + mirror.percent;
      if (credit >= 100) {
        this.credit[i] = credit - 100;
        chosen.push(mirror.handle);
      } else {
        this.credit[i] = credit;
      }
    }
    return chosen;
  }

  /** Sends a copy of the request to each mirror; the copies write into a sink. */
  private copy(ctx: RequestContext, mirrors: readonly ServiceHandle[], withBody: boolean): void {
    const req = ctx.req;
    let headers = req.headers;
    if (!withBody) {
      headers = {};
      for (const name in req.headers) if (!BODY_HEADERS.has(name)) headers[name] = req.headers[name];
    }
    for (const mirror of mirrors) {
      const copy: RequestContext = {
        req: { headers: { ...headers }, method: req.method, url: req.url, socket: req.socket } as IncomingMessage,
        res: new DiscardResponse() as unknown as RequestContext['res'],
        path: ctx.path,
        query: ctx.query,
        host: ctx.host,
        scheme: ctx.scheme,
        entryPoint: ctx.entryPoint,
        router: ctx.router,
        responseHeaders: null,
        strippedPrefix: ctx.strippedPrefix,
        service: '',
        serverUrl: '',
        upgradeHead: null,
        retries: 0,
        bufferedBody: withBody ? (ctx.bufferedBody ?? null) : null,
      };
      mirror.handler(copy);
    }
  }
}
