/**
 * An incremental HTTP/1.x response reader for the upstream client: it takes the bytes of one
 * keep-alive connection as they arrive and reports the response head (hop-by-hop headers
 * already removed), the body bytes (chunked framing decoded) and the end of the message, with
 * whether the connection may carry another request.
 *
 * The common case — head and a `content-length` body in one read — costs one `indexOf`, one
 * latin1 decode of the head and a loop over its lines; the body is handed on as a slice of the
 * buffer that arrived, or, when that buffer is the shared read buffer, as a copy (read-lease.ts).
 */
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.js';
import { LEND_MIN_BYTES, type ReadLease, takeLease } from './read-lease.js';

/** Where the reader reports what it parsed. */
export interface ResponseSink {
  /** The final (non-1xx) response head; `headers` is a raw name/value list. */
  onResponseHead(status: number, message: string, headers: string[]): void;
  /**
   * Body bytes; `last` says the message ends with them. With a `lease`, `chunk` lies in a
   * lent read buffer: pass `lease.release` as the write's callback, and keep no reference.
   */
  onResponseBody(chunk: Buffer, last: boolean, lease: ReadLease | null): void;
  /**
   * The message ended (after the last body chunk, or with no body at all). `trailers`: the
   * trailer fields of a chunked body as a raw name/value list (validated like header fields,
   * framing and hop-by-hop fields removed), or null when it had none.
   */
  onResponseEnd(trailers: string[] | null): void;
  /**
   * The server switched protocols (101, only when `begin` allowed an upgrade): its headers
   * (hop-by-hop removed), the protocol it named in `Upgrade`, and the first tunnel bytes that
   * came with the head (a copy). The reader reads nothing more on this connection.
   */
  onSwitchingProtocols?(message: string, headers: string[], protocol: string, rest: Buffer): void;
}

/** Largest response head accepted (Node's default `maxHeaderSize`). */
export const MAX_HEAD_BYTES = 16 * 1024;

enum Mode {
  Head = 0,
  Length = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkDataEnd = 4,
  Trailers = 5,
  UntilClose = 6,
  Done = 7,
  /** After a 101: the connection carries another protocol; nothing is parsed any more. */
  Switched = 8,
}

const EMPTY = Buffer.alloc(0);

/** Most 1xx answers accepted before the final response. */
const MAX_INFORMATIONAL = 16;

/** tchar of RFC 9110 §5.6.2, by character code. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN[c.charCodeAt(0)] = 1;

/** Whether `text[start..end)` holds only HTAB, SP, VCHAR and obs-text (field value, reason phrase). */
function isFieldText(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if ((code < 32 && code !== 9) || code === 127) return false;
  }
  return true;
}

/** Whether `text[start..end)` is a non-empty token (a valid field name). */
function isToken(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || TOKEN[code] === 0) return false;
  }
  return true;
}
const CRLFCRLF = '\r\n\r\n';

/**
 * Fields a trailer may not carry (RFC 9110 §6.5.1: framing, routing, authentication, content
 * description); the list Go's HTTP client drops, so Traefik forwards the same trailers.
 */
const NOT_TRAILERS = new Set([
  'authorization',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'expect',
  'host',
  'max-forwards',
  'pragma',
  'range',
  'realm',
  'www-authenticate',
]);

/** A protocol error in the upstream's answer (answered with 502 like any transport error). */
export function protocolError(message: string, code = 'SY_UPSTREAM_PROTOCOL'): NodeJS.ErrnoException {
  return Object.assign(new Error(`upstream protocol error: ${message}`), { code });
}

/** Whether a trailer field (lower-case name) crosses the proxy: not NOT_TRAILERS, not hop-by-hop. */
export function isForwardableTrailer(lower: string): boolean {
  return !HOP_BY_HOP.has(lower) && !NOT_TRAILERS.has(lower);
}

/** Reads the responses of one connection, one at a time. */
export class ResponseReader {
  private mode = Mode.Done;
  /** Bytes of a head (or a chunk-size / trailer line) that arrived split over reads. */
  private pending: Buffer = EMPTY;
  private remaining = 0;
  private expectBody = true;
  /** 1xx answers received before the final one. */
  private informational = 0;
  /** Whether a 101 Switching Protocols may end this exchange (an upgrade request). */
  private upgrade = false;
  /** Trailer fields of the chunked body being read (name/value list), and their size in bytes. */
  private trailers: string[] | null = null;
  private trailerBytes = 0;
  /** Whether the connection can carry another request once this message is complete. */
  keepAlive = true;

  /**
   * Starts reading the answer to a new request. `expectBody` is false for HEAD; `upgrade` lets a
   * 101 end the exchange (the request asked for a protocol upgrade).
   */
  begin(expectBody: boolean, upgrade = false): void {
    this.upgrade = upgrade;
    this.mode = Mode.Head;
    this.pending = EMPTY;
    this.remaining = 0;
    this.expectBody = expectBody;
    this.keepAlive = true;
    this.informational = 0;
    this.trailers = null;
    this.trailerBytes = 0;
  }

  /** Whether the response has started (some of its bytes arrived). */
  get started(): boolean {
    return this.mode !== Mode.Head || this.pending.length > 0;
  }

  /** Whether the current message is complete. */
  get done(): boolean {
    return this.mode === Mode.Done;
  }

  /** Whether the body runs until the server closes the connection. */
  get untilClose(): boolean {
    return this.mode === Mode.UntilClose;
  }

  /**
   * Feeds bytes; returns null, or the protocol error that makes the connection unusable.
   * Bytes after the end of the message make the connection non-reusable. With `shared`, `data`
   * is a read buffer reused after this call: body chunks are handed on as copies, large ones
   * in lent buffers (read-lease.ts).
   */
  push(data: Buffer, sink: ResponseSink, shared = false): NodeJS.ErrnoException | null {
    let chunk = data;
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.mode) {
        case Mode.Head: {
          if (this.pending.length > 0) {
            chunk = Buffer.concat([this.pending, chunk.subarray(offset)]);
            offset = 0;
            this.pending = EMPTY;
            shared = false;
          }
          const end = chunk.indexOf(CRLFCRLF, offset, 'latin1');
          if (end === -1) {
            if (chunk.length - offset > MAX_HEAD_BYTES) return protocolError('header overflow', 'HPE_HEADER_OVERFLOW');
            this.pending = Buffer.from(chunk.subarray(offset));
            return null;
          }
          if (end - offset > MAX_HEAD_BYTES) return protocolError('header overflow', 'HPE_HEADER_OVERFLOW');
          const head = chunk.toString('latin1', offset, end);
          offset = end + 4;
          const error = this.parseHead(head, sink, chunk, offset);
          if (error !== null) return error;
          // parseHead moved the mode on.
          if ((this.mode as Mode) === Mode.Switched) return null;
          if ((this.mode as Mode) === Mode.Done) {
            if (offset < chunk.length) this.keepAlive = false;
            sink.onResponseEnd(null);
            return null;
          }
          break;
        }
        case Mode.Length: {
          const available = chunk.length - offset;
          if (available >= this.remaining) {
            const start = offset;
            offset += this.remaining;
            this.remaining = 0;
            this.mode = Mode.Done;
            if (offset < chunk.length) this.keepAlive = false;
            emitBody(sink, chunk, start, offset, true, shared);
            sink.onResponseEnd(null);
            return null;
          }
          this.remaining -= available;
          emitBody(sink, chunk, offset, chunk.length, false, shared);
          return null;
        }
        case Mode.UntilClose:
          emitBody(sink, chunk, offset, chunk.length, false, shared);
          return null;
        case Mode.ChunkSize:
        case Mode.Trailers: {
          if (this.pending.length > 0) {
            // A line split over reads (rare): join it with what follows.
            chunk = Buffer.concat([this.pending, chunk.subarray(offset)]);
            offset = 0;
            this.pending = EMPTY;
            shared = false;
          }
          const lineEnd = chunk.indexOf('\r\n', offset, 'latin1');
          if (lineEnd === -1) {
            if (chunk.length - offset > MAX_HEAD_BYTES) return protocolError('chunk header overflow');
            this.pending = Buffer.from(chunk.subarray(offset));
            return null;
          }
          const line = chunk.toString('latin1', offset, lineEnd);
          offset = lineEnd + 2;
          if (this.mode === Mode.Trailers) {
            if (line === '') {
              this.mode = Mode.Done;
              if (offset < chunk.length) this.keepAlive = false;
              const trailers = this.trailers;
              this.trailers = null;
              sink.onResponseEnd(trailers);
              return null;
            }
            const error = this.addTrailer(line);
            if (error !== null) return error;
            break;
          }
          const size = chunkSize(line);
          if (size < 0) return protocolError('invalid chunk size');
          if (size === 0) this.mode = Mode.Trailers;
          else {
            this.remaining = size;
            this.mode = Mode.ChunkData;
          }
          break;
        }
        case Mode.ChunkData: {
          const take = Math.min(this.remaining, chunk.length - offset);
          const start = offset;
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.mode = Mode.ChunkDataEnd;
          emitBody(sink, chunk, start, offset, false, shared);
          break;
        }
        case Mode.ChunkDataEnd: {
          // The CRLF after a chunk's data, possibly split across reads.
          if (this.remaining === 0) {
            if (chunk[offset] !== 13) return protocolError('missing CRLF after chunk');
            offset++;
            this.remaining = 1;
          } else {
            if (chunk[offset] !== 10) return protocolError('missing CRLF after chunk');
            offset++;
            this.remaining = 0;
            this.mode = Mode.ChunkSize;
          }
          break;
        }
        case Mode.Done:
          // Bytes nobody asked for: the connection's framing can no longer be trusted.
          this.keepAlive = false;
          return null;
        case Mode.Switched:
          return null;
      }
    }
    return null;
  }

  /** The server closed the connection: ends a close-delimited body, or reports truncation. */
  close(sink: ResponseSink): boolean {
    if (this.mode === Mode.UntilClose) {
      this.mode = Mode.Done;
      this.keepAlive = false;
      sink.onResponseEnd(null);
      return true;
    }
    return this.mode === Mode.Done;
  }

  /** Whether the server switched protocols (the connection is a tunnel now). */
  get switched(): boolean {
    return this.mode === Mode.Switched;
  }

  /**
   * Keeps one trailer field (RFC 9112 §7.1.2) if it is valid as a header field, and neither in
   * NOT_TRAILERS nor hop-by-hop. The whole section is bounded like a head.
   */
  private addTrailer(line: string): NodeJS.ErrnoException | null {
    this.trailerBytes += line.length + 2;
    if (this.trailerBytes > MAX_HEAD_BYTES) return protocolError('trailer overflow', 'HPE_HEADER_OVERFLOW');
    // A malformed field is dropped, not the answer: its body has arrived whole, and trailers are
    // metadata a client may do without (Node's own reader is as lenient with them).
    const colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line, 0, colon)) return null;
    let valueStart = colon + 1;
    let valueEnd = line.length;
    while (valueStart < valueEnd && isOws(line.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isOws(line.charCodeAt(valueEnd - 1))) valueEnd--;
    if (!isFieldText(line, valueStart, valueEnd)) return null;
    const name = line.slice(0, colon);
    const lower = name.toLowerCase();
    if (!isForwardableTrailer(lower)) return null;
    this.trailers ??= [];
    this.trailers.push(name, line.slice(valueStart, valueEnd));
    return null;
  }

  /** Parses a head; `chunk` from `rest` on is what followed it (tunnel bytes after a 101). */
  private parseHead(head: string, sink: ResponseSink, chunk: Buffer, rest: number): NodeJS.ErrnoException | null {
    // Field names must be tokens; field values and the reason phrase may hold HTAB, SP, VCHAR
    // and obs-text only (no CTL, no CR or LF but the line ends). What passes here is what
    // `res.writeHead` accepts, so nothing a server sends can make it throw. Checked with
    // charCode loops over what is parsed anyway: a regexp over the head cost 3-4 times more.
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    let lineEnd = head.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = head.length;
    if (lineEnd < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32)
      return protocolError('invalid status line');
    const minor = head.charCodeAt(7) - 48;
    const status = threeDigits(head, 9);
    // The status code ends the line or is followed by SP: a bare CR there (`103\rEarly Hints`)
    // would otherwise fall between the code and the reason phrase, checked by neither.
    if (status < 100 || minor < 0 || minor > 9 || (lineEnd > 12 && head.charCodeAt(12) !== 32))
      return protocolError('invalid status line');
    if (lineEnd > 13 && !isFieldText(head, 13, lineEnd)) return protocolError('invalid reason phrase');
    const message = lineEnd > 13 ? head.slice(13, lineEnd) : '';
    let keepAlive = minor >= 1;
    const headers: string[] = [];
    let connection: string | undefined;
    let protocol = '';
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let pos = lineEnd + 2;
    while (pos < head.length) {
      let end = head.indexOf('\r\n', pos);
      if (end === -1) end = head.length;
      const colon = head.indexOf(':', pos);
      if (colon === -1 || colon >= end || colon === pos) return protocolError('invalid header line');
      const first = head.charCodeAt(pos);
      if (first === 32 || first === 9) return protocolError('obsolete line folding');
      if (!isToken(head, pos, colon)) return protocolError('invalid header name');
      const name = head.slice(pos, colon);
      let valueStart = colon + 1;
      let valueEnd = end;
      while (valueStart < valueEnd && isOws(head.charCodeAt(valueStart))) valueStart++;
      while (valueEnd > valueStart && isOws(head.charCodeAt(valueEnd - 1))) valueEnd--;
      if (!isFieldText(head, valueStart, valueEnd)) return protocolError('invalid header value');
      const value = head.slice(valueStart, valueEnd);
      pos = end + 2;
      const lower = name.toLowerCase();
      switch (lower) {
        case 'content-length': {
          const n = parseLength(value);
          if (n < 0 || (contentLength !== -1 && n !== contentLength)) return protocolError('invalid content-length');
          if (contentLength === n) continue;
          contentLength = n;
          break;
        }
        case 'transfer-encoding':
          transferEncoding = true;
          chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value);
          continue;
        case 'connection':
          connection = connection === undefined ? value : `${connection}, ${value}`;
          continue;
        case 'upgrade':
          protocol = value;
          continue;
        default:
          if (HOP_BY_HOP.has(lower)) continue;
      }
      headers.push(name, value);
    }
    if (status < 200) {
      // 1xx informational answers (100 Continue, 103 Early Hints) are not relayed; the final
      // answer follows on the same connection. 101 is only valid for an upgrade. A server that
      // sends them without end would hold the request forever.
      if (status === 101) {
        if (!this.upgrade || protocol === '' || sink.onSwitchingProtocols === undefined)
          return protocolError('unexpected 101 Switching Protocols');
        this.mode = Mode.Switched;
        this.keepAlive = false;
        removeNamedByConnection(headers, connection);
        sink.onSwitchingProtocols(message, headers, protocol, Buffer.from(chunk.subarray(rest)));
        return null;
      }
      if (++this.informational > MAX_INFORMATIONAL) return protocolError('too many 1xx responses');
      this.mode = Mode.Head;
      return null;
    }
    if (connection !== undefined) {
      const lowerConnection = connection.toLowerCase();
      if (lowerConnection.includes('close')) keepAlive = false;
      else if (minor === 0 && lowerConnection.includes('keep-alive')) keepAlive = true;
      removeNamedByConnection(headers, connection);
    }
    this.keepAlive = keepAlive;
    if (!this.expectBody || status === 204 || status === 304) this.mode = Mode.Done;
    else if (transferEncoding) {
      if (chunked) this.mode = Mode.ChunkSize;
      else {
        this.mode = Mode.UntilClose;
        this.keepAlive = false;
      }
      // Both framings announced: the length is not to be trusted (RFC 9112 §6.3).
      if (contentLength !== -1) {
        this.keepAlive = false;
        removeHeader(headers, 'content-length');
      }
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.mode = contentLength === 0 ? Mode.Done : Mode.Length;
    } else {
      this.mode = Mode.UntilClose;
      this.keepAlive = false;
    }
    sink.onResponseHead(status, message, headers);
    return null;
  }
}

/**
 * Hands bytes `start..end` of `chunk` to the sink. From a shared read buffer they are copied:
 * small chunks into Node's slab, large ones into a lent buffer the sink releases once written.
 */
function emitBody(sink: ResponseSink, chunk: Buffer, start: number, end: number, last: boolean, copy: boolean): void {
  if (!copy) {
    sink.onResponseBody(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end), last, null);
  } else if (end - start < LEND_MIN_BYTES) {
    sink.onResponseBody(Buffer.from(chunk.subarray(start, end)), last, null);
  } else {
    const lease = takeLease(end - start);
    sink.onResponseBody(lease.fill(chunk.subarray(start, end)), last, lease);
  }
}

/** Removes the headers a Connection header names (hop-by-hop by declaration). */
function removeNamedByConnection(headers: string[], connection: string | undefined): void {
  const named = connectionTokens(connection);
  if (named === null) return;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (named.has((headers[i] as string).toLowerCase())) headers.splice(i, 2);
  }
}

function removeHeader(headers: string[], lower: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if ((headers[i] as string).toLowerCase() === lower) headers.splice(i, 2);
  }
}

function isOws(code: number): boolean {
  return code === 32 || code === 9;
}

function threeDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  const c = text.charCodeAt(at + 2) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  // Three digits, then a space, or the end of the status line.
  if (text.length > at + 3 && text.charCodeAt(at + 3) !== 32 && text.charCodeAt(at + 3) !== 13) return -1;
  return a * 100 + b * 10 + c;
}

function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The size in a chunk-size line, or -1 when invalid. Extensions after `;` are ignored but must be
 * free of control characters; anything else after the digits (`5 junk`) is invalid, so the
 * reader and the client can never disagree on where a chunk ends.
 */
function chunkSize(line: string): number {
  let n = 0;
  let digits = 0;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else break;
    n = n * 16 + d;
    if (++digits > 13) return -1;
  }
  if (digits === 0) return -1;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  if (i === line.length) return n;
  if (line.charCodeAt(i) !== 59 /* ; */) return -1;
  for (i++; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return -1;
  }
  return n;
}
