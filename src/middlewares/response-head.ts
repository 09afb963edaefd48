/**
 * A response head held back by a middleware that must see it before the client does (compress,
 * buffering). Such a middleware takes over `writeHead`/`write`/`end` of the one response it
 * handles (own properties on that `ServerResponse`, so routes without it pay nothing), keeps
 * the head as it was given — a raw `[name, value, …]` list from the forwarding engine, an
 * object from `sendError`, or headers set with `setHeader` — edits it, and writes it through
 * the method it replaced (which may be another middleware's, so they stack).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** `ServerResponse.writeHead` as found on a response before a middleware replaced it. */
export type WriteHead = (
  this: ServerResponse,
  status: number,
  reason?: string | OutgoingHttpHeaders | unknown[],
  headers?: OutgoingHttpHeaders | unknown[],
) => ServerResponse;
/** `ServerResponse.write` as found before a middleware replaced it. */
export type Write = (this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
/** `ServerResponse.end` as found before a middleware replaced it. */
export type End = (this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown) => ServerResponse;

/** One header field: the name as first written, and its values in order. */
interface Field {
  name: string;
  values: string[];
}

/** A captured response head: status line and header fields, keyed by lower-case name. */
export class ResponseHead {
  readonly fields = new Map<string, Field>();
  constructor(
    public status: number,
    public message: string | undefined,
  ) {}

  /** The values of a header joined with `, ` (as Node joins them), or undefined. */
  get(lower: string): string | undefined {
    const field = this.fields.get(lower);
    return field === undefined ? undefined : field.values.join(', ');
  }

  set(name: string, value: string): void {
    this.fields.set(name.toLowerCase(), { name, values: [value] });
  }

  delete(lower: string): void {
    this.fields.delete(lower);
  }

  add(name: string, value: string): void {
    const lower = name.toLowerCase();
    const field = this.fields.get(lower);
    if (field === undefined) this.fields.set(lower, { name, values: [value] });
    else field.values.push(value);
  }

  /** Adds `token` to Vary unless it is listed there already (or Vary is `*`). */
  vary(token: string): void {
    const current = this.get('vary');
    if (current !== undefined) {
      const lower = token.toLowerCase();
      for (const item of current.split(',')) {
        const trimmed = item.trim().toLowerCase();
        if (trimmed === lower || trimmed === '*') return;
      }
    }
    this.add('Vary', token);
  }

  /** The head as an object of arrays, which `writeHead` accepts with or without `setHeader` use. */
  toObject(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    for (const field of this.fields.values())
      out[field.name] = field.values.length === 1 ? field.values[0] : field.values;
    return out;
  }
}

function addValue(head: ResponseHead, name: string, value: unknown): void {
  if (Array.isArray(value)) for (const item of value) head.add(name, String(item));
  else if (value !== undefined && value !== null) head.add(name, String(value));
}

/**
 * The head a `writeHead(status, reason?, headers?)` call (or an implicit head, `headers`
 * undefined) would write: headers set earlier with `setHeader` are taken out of the response so
 * that writing the edited head does not repeat them.
 */
export function captureHead(res: ServerResponse, status: number, reason: unknown, headers: unknown): ResponseHead {
  let message: string | undefined;
  let given = headers;
  if (typeof reason === 'string') message = reason;
  else given ??= reason;
  const head = new ResponseHead(status, message);
  for (const name of res.getHeaderNames()) {
    addValue(head, name, res.getHeader(name));
    res.removeHeader(name);
  }
  if (Array.isArray(given)) {
    if (given.length > 0 && Array.isArray(given[0])) {
      for (const pair of given as unknown[][]) addValue(head, String(pair[0]), pair[1]);
    } else {
      // Later values of a header set with setHeader replace earlier ones in Node; a raw list
      // repeats a name on purpose (Set-Cookie), so values add up.
      for (let i = 0; i + 1 < given.length; i += 2) addValue(head, String(given[i]), given[i + 1]);
    }
  } else if (given !== null && typeof given === 'object') {
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
      head.delete(name.toLowerCase());
      addValue(head, name, value);
    }
  }
  return head;
}

/** Writes `head` through the `writeHead` that was replaced. */
export function writeCapturedHead(res: ServerResponse, writeHead: WriteHead, head: ResponseHead): void {
  if (head.message === undefined) writeHead.call(res, head.status, head.toObject());
  else writeHead.call(res, head.status, head.message, head.toObject());
}

/** `(chunk, encoding?, callback?)` as `write`/`end` take them, as a buffer and a callback. */
export function chunkArguments(
  chunk: unknown,
  encoding: unknown,
  callback: unknown,
): { data: Buffer | null; callback: (() => void) | undefined } {
  let cb = callback;
  let enc = encoding;
  if (typeof chunk === 'function') {
    cb = chunk;
    return { data: null, callback: cb as () => void };
  }
  if (typeof enc === 'function') {
    cb = enc;
    enc = undefined;
  }
  let data: Buffer | null = null;
  if (typeof chunk === 'string') data = Buffer.from(chunk, (typeof enc === 'string' ? enc : 'utf8') as BufferEncoding);
  else if (chunk instanceof Uint8Array)
    data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return { data, callback: typeof cb === 'function' ? (cb as () => void) : undefined };
}
