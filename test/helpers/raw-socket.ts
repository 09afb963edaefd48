/**
 * Raw HTTP/1.1 over a socket for hostile tests: send exact bytes (in steps, with pauses or
 * waits), collect every byte answered until the peer closes or a deadline passes, and parse
 * the answers with a small strict parser so tests can assert statuses and headers of
 * pipelined responses, and tell a complete response from a truncated one.
 */
import { connect } from 'node:net';

/** One parsed response. */
export interface RawResponse {
  status: number;
  reason: string;
  headers: Array<[name: string, value: string]>;
  body: Buffer;
  /** Whether its framing (Content-Length, chunked, or the close) was satisfied. */
  complete: boolean;
}

/** A step of a raw exchange: bytes to write, a pause, or a wait for something in the answer. */
export type Step = string | Buffer | { pause: number } | { until: (received: Buffer) => boolean; timeout?: number };

/** What came back. */
export interface RawExchange {
  bytes: Buffer;
  responses: RawResponse[];
  /** Final (non-1xx) responses only. */
  finals: RawResponse[];
  /** Why the parser gave up on the answer, if it did. */
  parseError: string | null;
  /** The peer closed (FIN or reset) before the deadline. */
  closed: boolean;
  /** The peer reset the connection. */
  reset: boolean;
  /** Milliseconds from the first write until the peer closed (or the exchange stopped). */
  ms: number;
}

/** Options of `rawExchange`. */
export interface RawOptions {
  host?: string;
  /** Give up waiting after this many ms (the exchange is then reported as not closed). */
  timeout?: number;
  /** Stop once this many complete final responses arrived (then wait `linger` ms for extra bytes). */
  stopAfter?: number;
  linger?: number;
}

/** Sends `steps` on a fresh connection to 127.0.0.1:`port` and collects the whole answer. */
export function rawExchange(port: number, steps: Step | Step[], options: RawOptions = {}): Promise<RawExchange> {
  const list = Array.isArray(steps) ? steps : [steps];
  const timeout = options.timeout ?? 3000;
  const linger = options.linger ?? 100;
  return new Promise((resolve) => {
    const socket = connect({ host: options.host ?? '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closed = false;
    let reset = false;
    let done = false;
    let lingerTimer: NodeJS.Timeout | null = null;
    let waiter: (() => void) | null = null;
    const started = Date.now();
    let ended = started;
    const received = () => Buffer.concat(chunks);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (lingerTimer !== null) clearTimeout(lingerTimer);
      if (!closed) ended = Date.now();
      socket.destroy();
      const bytes = received();
      const parsed = parseResponses(bytes, closed);
      resolve({
        bytes,
        responses: parsed.responses,
        finals: parsed.responses.filter((r) => r.status >= 200),
        parseError: parsed.error,
        closed,
        reset,
        ms: ended - started,
      });
    };
    const deadline = setTimeout(finish, timeout);
    const check = () => {
      waiter?.();
      if (options.stopAfter === undefined || lingerTimer !== null) return;
      const parsed = parseResponses(received(), false);
      const finals = parsed.responses.filter((r) => r.status >= 200 && r.complete).length;
      if (finals >= options.stopAfter) lingerTimer = setTimeout(finish, linger);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      check();
    });
    const onClosed = () => {
      if (closed) return;
      closed = true;
      ended = Date.now();
      waiter?.();
      // Give a pending write step no chance to hang: the exchange is over.
      setImmediate(finish);
    };
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') reset = true;
      onClosed();
    });
    socket.once('connect', async () => {
      for (const step of list) {
        if (done || closed) return;
        if (typeof step === 'string' || Buffer.isBuffer(step)) {
          socket.write(typeof step === 'string' ? Buffer.from(step, 'latin1') : step);
        } else if ('pause' in step) {
          await new Promise((r) => setTimeout(r, step.pause));
        } else {
          const until = step.until;
          await new Promise<void>((r) => {
            const stepDeadline = setTimeout(r, step.timeout ?? timeout);
            waiter = () => {
              if (closed || until(received())) {
                clearTimeout(stepDeadline);
                waiter = null;
                r();
              }
            };
            waiter();
          });
        }
      }
    });
  });
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Parses consecutive responses; `closed` says the connection ended after `bytes`. */
export function parseResponses(bytes: Buffer, closed: boolean): { responses: RawResponse[]; error: string | null } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (headEnd === -1) {
      return { responses, error: closed ? 'connection closed inside a response head' : null };
    }
    const lines = bytes.toString('latin1', at, headEnd).split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (statusLine === null || !FIELD_VALUE.test(statusLine[2] ?? '')) {
      return { responses, error: `invalid status line ${JSON.stringify(lines[0])}` };
    }
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) {
        return { responses, error: `invalid header line ${JSON.stringify(line)}` };
      }
      headers.push([name, value]);
    }
    const status = Number(statusLine[1]);
    const response: RawResponse = {
      status,
      reason: statusLine[2] ?? '',
      headers,
      body: Buffer.alloc(0),
      complete: true,
    };
    responses.push(response);
    at = headEnd + 4;
    if (status < 200 || status === 204 || status === 304) continue;
    const te = headerOf(response, 'transfer-encoding');
    const cl = headerOf(response, 'content-length');
    if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
      const decoded = decodeChunked(bytes, at);
      response.body = decoded.body;
      response.complete = decoded.end !== -1;
      if (decoded.error !== null) return { responses, error: decoded.error };
      if (decoded.end === -1) return { responses, error: null };
      at = decoded.end;
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) return { responses, error: `invalid content-length ${cl}` };
      const length = Number(cl);
      response.body = bytes.subarray(at, Math.min(bytes.length, at + length));
      response.complete = response.body.length === length;
      at += response.body.length;
    } else {
      response.body = bytes.subarray(at);
      response.complete = closed;
      at = bytes.length;
    }
  }
  return { responses, error: null };
}

/** Decodes a chunked body starting at `at`: the bytes so far, and the end offset (-1 while incomplete). */
function decodeChunked(bytes: Buffer, at: number): { body: Buffer; end: number; error: string | null } {
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) return { body: Buffer.concat(parts), end: -1, error: null };
    const line = bytes.toString('latin1', at, lineEnd);
    const size = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/.exec(line);
    if (size === null)
      return { body: Buffer.concat(parts), end: -1, error: `invalid chunk size ${JSON.stringify(line)}` };
    const n = Number.parseInt(size[1] as string, 16);
    at = lineEnd + 2;
    if (n === 0) {
      // Trailers up to an empty line.
      for (;;) {
        const end = bytes.indexOf('\r\n', at, 'latin1');
        if (end === -1) return { body: Buffer.concat(parts), end: -1, error: null };
        const empty = end === at;
        at = end + 2;
        if (empty) return { body: Buffer.concat(parts), end: at, error: null };
      }
    }
    parts.push(bytes.subarray(at, Math.min(bytes.length, at + n)));
    if (at + n + 2 > bytes.length) return { body: Buffer.concat(parts), end: -1, error: null };
    if (bytes.toString('latin1', at + n, at + n + 2) !== '\r\n') {
      return { body: Buffer.concat(parts), end: -1, error: 'missing CRLF after chunk data' };
    }
    at += n + 2;
  }
}

/** First value of a header (case-insensitive). */
export function headerOf(response: { headers: Array<[string, string]> }, name: string): string | undefined {
  const lower = name.toLowerCase();
  return response.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Every value of a header (case-insensitive). */
export function headersOf(response: { headers: Array<[string, string]> }, name: string): string[] {
  const lower = name.toLowerCase();
  return response.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** A compact description of an exchange for assertion messages and tables. */
export function describeExchange(exchange: RawExchange): string {
  const parts = exchange.responses.map((r) => `${r.status}${r.complete ? '' : ' (truncated)'}`);
  if (parts.length === 0) parts.push(exchange.closed ? 'closed without a response' : 'no answer (still open)');
  if (exchange.parseError !== null) parts.push(`unparsable: ${exchange.parseError}`);
  return parts.join(', ');
}
