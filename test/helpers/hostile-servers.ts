/**
 * Upstream servers for hostile tests, on `net` so they see (and send) exact bytes:
 * - a recording backend that keeps every request exactly as received (request line, raw header
 *   list, body, and all the bytes of every connection) and answers per route;
 * - a raw upstream that answers each request head with scripted bytes (broken servers).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { headerOf } from './raw-socket.js';

/** A request as the backend received it. */
export interface RecordedRequest {
  requestLine: string;
  method: string;
  target: string;
  headers: Array<[name: string, value: string]>;
  body: Buffer;
  /** Number of the connection it came on (1, 2, …). */
  connection: number;
}

/** An answer of the recording backend. */
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Close the connection after answering. */
  close?: boolean;
}

/** A running recording backend. */
export interface RecordingBackend {
  name: string;
  port: number;
  url: string;
  requests: RecordedRequest[];
  /** Every byte received so far, all connections, in arrival order. */
  received(): Buffer;
  /** Framing errors the backend met (it closes the connection on one). */
  errors: string[];
  openConnections(): number;
  /** Forgets what was recorded (between cases). */
  reset(): void;
  close(): Promise<void>;
}

/** Answers `X-Backend: <name>` and a small JSON body describing the request, unless `answer` decides. */
export async function startRecordingBackend(
  name: string,
  answer: (request: RecordedRequest) => Answer | null = () => null,
): Promise<RecordingBackend> {
  const sockets = new Set<Socket>();
  let received: Buffer[] = [];
  let connections = 0;
  const backend = { name, requests: [] as RecordedRequest[], errors: [] as string[] } as RecordingBackend;
  const server = createServer((socket) => {
    sockets.add(socket);
    const id = ++connections;
    let buffer = Buffer.alloc(0);
    let continued = false;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (data: Buffer) => {
      received.push(Buffer.from(data));
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const parsed = parseRequest(buffer);
        if (parsed === 'incomplete') {
          // A client waiting for 100 Continue before its body.
          if (!continued && /\r\nexpect:[ \t]*100-continue/i.test(buffer.toString('latin1'))) {
            const headEnd = buffer.indexOf('\r\n\r\n');
            if (headEnd !== -1) {
              continued = true;
              socket.write('HTTP/1.1 100 Continue\r\n\r\n');
            }
          }
          return;
        }
        if (typeof parsed === 'string') {
          backend.errors.push(parsed);
          socket.destroy();
          return;
        }
        continued = false;
        buffer = buffer.subarray(parsed.length);
        const request: RecordedRequest = { ...parsed.request, connection: id };
        backend.requests.push(request);
        const chosen = answer(request) ?? {};
        const body = chosen.body ?? JSON.stringify({ backend: name, target: request.target });
        const headers = { 'X-Backend': name, 'Content-Type': 'text/plain', ...chosen.headers };
        const close = chosen.close === true || /(^|,)\s*close\s*(,|$)/i.test(headerOf(request, 'connection') ?? '');
        let head = `HTTP/1.1 ${chosen.status ?? 200} ${chosen.status === undefined ? 'OK' : 'Answer'}\r\n`;
        for (const [key, value] of Object.entries(headers)) head += `${key}: ${value}\r\n`;
        head += `Content-Length: ${Buffer.byteLength(body)}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
        socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
        if (close) {
          socket.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  Object.assign(backend, {
    port,
    url: `http://127.0.0.1:${port}`,
    received: () => Buffer.concat(received),
    openConnections: () => sockets.size,
    reset() {
      backend.requests.length = 0;
      backend.errors.length = 0;
      received = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return backend;
}

/** Parses one request at the start of `buffer` (strict CRLF framing, Content-Length or chunked). */
function parseRequest(
  buffer: Buffer,
): { request: Omit<RecordedRequest, 'connection'>; length: number } | 'incomplete' | string {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return buffer.length > 1 << 20 ? 'head too large' : 'incomplete';
  const lines = buffer.toString('latin1', 0, headEnd).split('\r\n');
  const requestLine = lines[0] as string;
  const match = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(requestLine);
  if (match === null) return `invalid request line ${JSON.stringify(requestLine)}`;
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\0-\x1f\x7f]/.test(line.replace(/\t/g, ''))) {
      return `invalid header line ${JSON.stringify(line)}`;
    }
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const view = { headers };
  let at = headEnd + 4;
  let body = Buffer.alloc(0);
  const te = headerOf(view, 'transfer-encoding');
  const lengths = headers.filter(([n]) => n.toLowerCase() === 'content-length');
  if (te !== undefined) {
    if (lengths.length > 0) return 'both Content-Length and Transfer-Encoding';
    if (!/^chunked$/i.test(te)) return `unsupported transfer-encoding ${te}`;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', at);
      if (lineEnd === -1) return 'incomplete';
      const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(buffer.toString('latin1', at, lineEnd));
      if (size === null) return 'invalid chunk size';
      const n = Number.parseInt(size[1] as string, 16);
      at = lineEnd + 2;
      if (n === 0) {
        const end = buffer.indexOf('\r\n\r\n', at - 2);
        if (end === -1) return 'incomplete';
        at = end + 4;
        break;
      }
      if (buffer.length < at + n + 2) return 'incomplete';
      parts.push(buffer.subarray(at, at + n));
      at += n + 2;
    }
    body = Buffer.concat(parts);
  } else if (lengths.length > 0) {
    if (lengths.length > 1 || !/^\d+$/.test(lengths[0]?.[1] ?? '')) return 'invalid content-length';
    const n = Number(lengths[0]?.[1]);
    if (buffer.length < at + n) return 'incomplete';
    body = Buffer.from(buffer.subarray(at, at + n));
    at += n;
  }
  return {
    request: { requestLine, method: match[1] as string, target: match[2] as string, headers, body },
    length: at,
  };
}

/** A scripted upstream: each request head it receives is answered by `script`. */
export interface RawUpstream {
  port: number;
  url: string;
  /** Heads received, with the connection each came on. */
  heads: Array<{ head: string; path: string; connection: number }>;
  openConnections(): number;
  close(): Promise<void>;
}

/** Starts a raw upstream; `script` writes whatever it wants on the socket (or nothing). */
export async function startRawUpstream(
  script: (path: string, socket: Socket, head: string) => void,
): Promise<RawUpstream> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const upstream = { heads: [] as RawUpstream['heads'] } as RawUpstream;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const id = ++connections;
    let buffered = '';
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      let end = buffered.indexOf('\r\n\r\n');
      while (end !== -1) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const path = head.split(' ')[1] ?? '';
        upstream.heads.push({ head, path, connection: id });
        script(path, socket, head);
        end = buffered.indexOf('\r\n\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  Object.assign(upstream, {
    port,
    url: `http://127.0.0.1:${port}`,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return upstream;
}
