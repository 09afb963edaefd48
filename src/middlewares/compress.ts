/**
 * compress: compresses responses (gzip, br; zstd where Node has it), as Traefik's compress
 * middleware. The encoding is chosen per request from Accept-Encoding (accept-encoding.ts); the
 * response is compressed as it streams (node:zlib, with backpressure both ways) unless it is
 * already encoded, a range, bodiless (HEAD, 204, 304), of an excluded content type, or smaller
 * than `minResponseBodyBytes` (known from Content-Length, else by holding that many bytes back).
 * It takes over writeHead/write/end of the responses it handles only (response-head.ts), so a
 * route without it, and a request that accepts no encoding, pay nothing.
 */
import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { z } from 'zod';
import { integerValue } from '../config/value-schemas.js';
import { chooseEncoding, type EncodingPreferences, IDENTITY } from './accept-encoding.js';
import { compressSync, createStream, createZstd, WHOLE_BODY_LIMIT } from './compress-codecs.js';
import { stringList } from './options.js';
import {
  captureHead,
  chunkArguments,
  type End,
  type ResponseHead,
  type Write,
  type WriteHead,
  writeCapturedHead,
} from './response-head.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

/** Encodings Traefik knows, in its default order. */
const KNOWN_ENCODINGS = ['gzip', 'br', 'zstd'] as const;

const mediaTypeList = stringList.transform((items, ctx) =>
  items.map((item, index) => {
    const type = mediaTypeOf(item);
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(type)) {
      ctx.addIssue({ code: 'custom', path: [index], message: `invalid media type ${JSON.stringify(item)}` });
    }
    return type;
  }),
);

const schema = z
  .strictObject({
    encodings: stringList
      .pipe(
        z
          .array(z.enum(KNOWN_ENCODINGS, { error: 'unsupported encoding (gzip, br or zstd)' }))
          .min(1, 'at least one encoding must be specified'),
      )
      .optional(),
    excludedContentTypes: mediaTypeList.optional(),
    includedContentTypes: mediaTypeList.optional(),
    minResponseBodyBytes: integerValue(0).optional(),
    defaultEncoding: z.string().optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.excludedContentTypes?.length ?? 0) > 0 && (o.includedContentTypes?.length ?? 0) > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['includedContentTypes'],
        message: 'excludedContentTypes and includedContentTypes options are mutually exclusive',
      });
    }
    const encodings = o.encodings ?? KNOWN_ENCODINGS;
    if (o.defaultEncoding && !encodings.includes(o.defaultEncoding as (typeof KNOWN_ENCODINGS)[number])) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultEncoding'],
        message: `unsupported default encoding ${JSON.stringify(o.defaultEncoding)} (not in encodings)`,
      });
    }
  });

/** Validated compress options. */
export type CompressOptions = z.output<typeof schema>;

/** `type/subtype` of a Content-Type value, lower-case, without parameters. */
function mediaTypeOf(value: string): string {
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/** What every request of one compress middleware shares, compiled once. */
interface Compiled extends EncodingPreferences {
  readonly excluded: ReadonlySet<string>;
  readonly included: ReadonlySet<string> | null;
  readonly minSize: number;
}

/** Compiles validated options; `warn` hears of an encoding this Node cannot produce. */
export function compileCompress(o: CompressOptions, warn: (message: string) => void): Compiled {
  let encodings: string[] = [...(o.encodings ?? KNOWN_ENCODINGS)];
  if (createZstd === undefined && encodings.includes('zstd')) {
    // Traefik's default list names zstd: only say so when the configuration asked for it.
    if (o.encodings !== undefined) {
      warn(
        `encodings: zstd needs Node.js 22.15 or later (this is ${process.version}); only ${encodings.filter((e) => e !== 'zstd').join(', ') || 'no encoding'} will be used`,
      );
    }
    encodings = encodings.filter((encoding) => encoding !== 'zstd');
  }
  let defaultEncoding = o.defaultEncoding ?? '';
  if (!encodings.includes(defaultEncoding)) defaultEncoding = '';
  return {
    encodings,
    defaultEncoding,
    // gRPC is never compressed (Traefik).
    excluded: new Set(['application/grpc', ...(o.excludedContentTypes ?? [])]),
    included: (o.includedContentTypes?.length ?? 0) > 0 ? new Set(o.includedContentTypes) : null,
    // Traefik: 0 or less means the default.
    minSize: o.minResponseBodyBytes !== undefined && o.minResponseBodyBytes > 0 ? o.minResponseBodyBytes : 1024,
  };
}

/** Encoding chosen for each Accept-Encoding value seen lately (clients send a handful of them). */
class ChoiceCache {
  private readonly map = new Map<string, string>();
  constructor(private readonly prefs: EncodingPreferences) {}
  get(header: string | undefined): string {
    if (header === undefined) return this.prefs.defaultEncoding;
    let choice = this.map.get(header);
    if (choice === undefined) {
      choice = chooseEncoding(this.prefs, header);
      if (this.map.size >= 64) this.map.clear();
      this.map.set(header, choice);
    }
    return choice;
  }
}

const STATE = Symbol('switchyard.compress');
type Patched = ServerResponse & { [STATE]?: Compression };

enum Phase {
  /** No head yet. */
  Head,
  /** Head held back until `minSize` bytes show whether to compress. */
  Deciding,
  Compressing,
  /** Written as it comes, untouched but for Vary. */
  Passing,
}

/** One response being compressed (or found not worth it). */
class Compression {
  phase = Phase.Head;
  head: ResponseHead | null = null;
  held: Buffer[] = [];
  heldBytes = 0;
  stream: zlib.Gzip | zlib.BrotliCompress | null = null;
  sizeHint = 0;
  flushQueued = false;
  endCallback: (() => void) | undefined = undefined;

  constructor(
    readonly res: ServerResponse,
    readonly config: Compiled,
    readonly encoding: string,
    readonly writeHead: WriteHead,
    readonly write: Write,
    readonly end: End,
  ) {}

  /** Takes the head; decides now when the head alone says enough. */
  onHead(status: number, reason: unknown, headers: unknown): void {
    const head = captureHead(this.res, status, reason, headers);
    this.head = head;
    head.vary('Accept-Encoding');
    const length = head.get('content-length');
    if (!this.compressible(head)) this.pass();
    else if (length !== undefined && /^\d+$/.test(length.trim())) {
      if (Number(length) >= this.config.minSize) this.startCompressing();
      else this.pass();
    } else this.phase = Phase.Deciding;
  }

  private compressible(head: ResponseHead): boolean {
    const status = head.status;
    if (status < 200 || status === 204 || status === 304 || status === 206) return false;
    const encoding = head.get('content-encoding');
    if (encoding !== undefined && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity') return false;
    if (head.get('content-range') !== undefined) return false;
    const type = head.get('content-type');
    if (type !== undefined && type !== '') {
      const media = mediaTypeOf(type);
      if (this.config.included !== null && !this.config.included.has(media)) return false;
      if (this.config.excluded.has(media)) return false;
    }
    return true;
  }

  /** Writes the head as it is and what was held back; later writes go straight through. */
  pass(): void {
    this.phase = Phase.Passing;
    writeCapturedHead(this.res, this.writeHead, this.head!);
    this.releaseHeld();
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) this.write.call(this.res, chunk);
  }

  /** Edits the head for compression; the head waits for the first body bytes (sync or stream). */
  startCompressing(): void {
    this.phase = Phase.Compressing;
    const head = this.head!;
    const length = head.get('content-length');
    this.sizeHint = length === undefined ? 0 : Number(length);
    head.delete('content-length');
    head.delete('transfer-encoding');
    // A range of the compressed form would not be the range the client asks for.
    head.delete('accept-ranges');
    head.set('Content-Encoding', this.encoding);
  }

  /** The body streams: writes the head (chunked) and starts the compressor. */
  ensureStream(): zlib.Gzip | zlib.BrotliCompress {
    if (this.stream !== null) return this.stream;
    const stream = createStream(this.encoding, this.sizeHint);
    this.stream = stream;
    (stream as StreamWithOwner)[OWNER] = this;
    stream.on('data', onCompressedData);
    stream.on('drain', onStreamDrain);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    this.res.on('drain', onClientDrain);
    writeCapturedHead(this.res, this.writeHead, this.head!);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) stream.write(chunk);
    return stream;
  }

  /**
   * The whole body arrived in one go (the common case: the server's answer came in one read)
   * and is small: compressed at once, sent with its Content-Length. Saves the stream's
   * per-request machinery and thread-pool round trips.
   */
  endWhole(data: Buffer | null, callback: (() => void) | undefined): void {
    const parts = this.held;
    if (data !== null && data.length > 0) parts.push(data);
    this.held = [];
    this.heldBytes = 0;
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    let compressed: Buffer;
    try {
      compressed = compressSync(this.encoding, body);
    } catch (error) {
      this.res.destroy(error as Error);
      return;
    }
    this.head!.set('Content-Length', String(compressed.length));
    writeCapturedHead(this.res, this.writeHead, this.head!);
    this.end.call(this.res, compressed, callback);
  }

  /** Holds a chunk while deciding; true when `minSize` is reached (compress). */
  hold(chunk: Buffer): boolean {
    // A copy: the caller may reuse its buffer once the write's callback ran (read-lease.ts).
    this.held.push(Buffer.from(chunk));
    this.heldBytes += chunk.length;
    return this.heldBytes >= this.config.minSize;
  }

  /** An end while still deciding: the whole body is held and too small to compress. */
  endSmall(): void {
    this.head!.set('Content-Length', String(this.heldBytes));
    this.head!.delete('transfer-encoding');
    this.pass();
  }
}

const OWNER = Symbol('switchyard.compressOwner');
type StreamWithOwner = (zlib.Gzip | zlib.BrotliCompress) & { [OWNER]?: Compression };

function onCompressedData(this: StreamWithOwner, chunk: Buffer): void {
  const state = this[OWNER]!;
  // The client reads slower than we compress: stop producing until it drains.
  if (!state.write.call(state.res, chunk)) this.pause();
}

function onStreamDrain(this: StreamWithOwner): void {
  // The compressor took what it was given: the forwarding engine may read upstream again.
  this[OWNER]!.res.emit('drain');
}

function onClientDrain(this: Patched): void {
  this[STATE]?.stream?.resume();
}

function onStreamEnd(this: StreamWithOwner): void {
  const state = this[OWNER]!;
  state.end.call(state.res, state.endCallback);
}

function onStreamError(this: StreamWithOwner, error: Error): void {
  this[OWNER]!.res.destroy(error);
}

function onClientClose(this: Patched): void {
  const state = this[STATE];
  if (state?.stream != null && !state.stream.destroyed) state.stream.destroy();
}

/**
 * Streaming responses (server-sent events, long polls) are flushed once per turn of the event
 * loop: what arrived in one read goes out compressed at once, whatever follows later.
 */
function queueFlush(state: Compression): void {
  if (state.flushQueued) return;
  state.flushQueued = true;
  setImmediate(flush, state);
}

/**
 * A streamed answer stopped short of `minResponseBodyBytes` for now (a server-sent event, a long
 * poll): compression starts with what is there and it is flushed, rather than holding it back
 * until more comes — as Traefik does when its proxy flushes a streamed response. An answer that
 * ended within the same turn was sent whole, uncompressed, before this runs.
 */
function decideLate(state: Compression): void {
  state.flushQueued = false;
  if (state.res.destroyed) return;
  if (state.phase === Phase.Deciding) {
    state.startCompressing();
    state.ensureStream();
  }
  // Also when minResponseBodyBytes was reached since (this call stood for that turn's flush).
  if (state.phase === Phase.Compressing) flush(state);
}

function flush(state: Compression): void {
  state.flushQueued = false;
  const stream = state.stream;
  if (stream === null || stream.writableEnded || stream.destroyed) return;
  if (state.encoding === 'gzip') (stream as zlib.Gzip).flush(zlib.constants.Z_SYNC_FLUSH);
  else stream.flush();
}

function patchedWriteHead(this: Patched, status: number, reason?: unknown, headers?: unknown): ServerResponse {
  const state = this[STATE]!;
  if (state.phase !== Phase.Head) return state.writeHead.call(this, status, reason as string, headers as never);
  state.onHead(status, reason, headers);
  return this;
}

function patchedWrite(this: Patched, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const state = this[STATE]!;
  if (state.phase === Phase.Passing) return state.write.call(this, chunk, encoding, callback);
  if (state.phase === Phase.Head) state.onHead(this.statusCode, undefined, undefined);
  const { data, callback: cb } = chunkArguments(chunk, encoding, callback);
  if (data === null || data.length === 0) {
    if (cb !== undefined) process.nextTick(cb);
    return true;
  }
  switch (state.phase) {
    case Phase.Deciding:
      if (state.hold(data)) {
        state.startCompressing();
        state.ensureStream();
        queueFlush(state);
      } else if (!state.flushQueued) {
        state.flushQueued = true;
        setImmediate(decideLate, state);
      }
      if (cb !== undefined) process.nextTick(cb);
      return true;
    case Phase.Compressing: {
      const ok = state.ensureStream().write(data, cb);
      queueFlush(state);
      return ok;
    }
    default:
      return state.write.call(this, data, cb);
  }
}

function patchedEnd(this: Patched, chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
  const state = this[STATE]!;
  if (state.phase === Phase.Passing) return state.end.call(this, chunk, encoding, callback);
  if (state.phase === Phase.Head) state.onHead(this.statusCode, undefined, undefined);
  const parsed = chunkArguments(chunk, encoding, callback);
  const cb = parsed.callback;
  let data = parsed.data;
  if (state.phase === Phase.Deciding) {
    if (data !== null && data.length > 0 && state.hold(data)) {
      data = null;
      state.startCompressing();
    } else {
      state.endSmall();
      return state.end.call(this, cb);
    }
  }
  if (state.phase === Phase.Compressing) {
    if (state.stream === null && state.heldBytes + (data?.length ?? 0) <= WHOLE_BODY_LIMIT) {
      state.endWhole(data, cb);
      return this;
    }
    const stream = state.ensureStream();
    if (stream.writableEnded) return this;
    state.endCallback = cb;
    if (data !== null && data.length > 0) stream.end(data);
    else stream.end();
    return this;
  }
  return state.end.call(this, data ?? undefined, cb);
}

function handle(config: Compiled, cache: ChoiceCache, next: Handler, ctx: RequestContext): void {
  const req = ctx.req;
  if (req.method === 'HEAD' || ctx.upgradeHead != null || config.encodings.length === 0) {
    next(ctx);
    return;
  }
  const requestType = req.headers['content-type'];
  if (requestType !== undefined && config.excluded.has(mediaTypeOf(requestType))) {
    next(ctx);
    return;
  }
  const encoding = cache.get(req.headers['accept-encoding']);
  if (encoding === IDENTITY) {
    next(ctx);
    return;
  }
  const res = ctx.res as Patched;
  if (res[STATE] !== undefined) {
    // Compressed once already (a chain naming compress twice, or a retry running it again).
    next(ctx);
    return;
  }
  res[STATE] = new Compression(res, config, encoding, res.writeHead as WriteHead, res.write as Write, res.end as End);
  res.writeHead = patchedWriteHead as ServerResponse['writeHead'];
  res.write = patchedWrite as ServerResponse['write'];
  res.end = patchedEnd as ServerResponse['end'];
  res.once('close', onClientClose);
  next(ctx);
}

/** The compress middleware type. */
export const compress: MiddlewareDefinition<CompressOptions> = {
  type: 'compress',
  schema,
  build(options, context) {
    const config = compileCompress(options, (message) => context.warn?.(message));
    const cache = new ChoiceCache(config);
    return (next: Handler): Handler =>
      (ctx) =>
        handle(config, cache, next, ctx);
  },
};
