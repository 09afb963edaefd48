/**
 * Raw HTTP/2 frames for hostile tests, where a well-behaved client (Node's `http2`) would refuse
 * to misbehave: streams beyond the server's limit, resets in a loop, oversized header lists,
 * broken frames. Header blocks use HPACK literals without indexing or Huffman (RFC 7541 §6.2.2).
 */
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types (RFC 9113 §6). */
export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
} as const;

/** Error codes (RFC 9113 §7). */
export const ERROR = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 11,
} as const;

/** One frame. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function integer(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  out.push(rest);
  return out;
}

/** An HPACK header block of literal fields (never indexed, no Huffman). */
export function headerBlock(fields: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), Buffer.from(integer(n.length, 7, 0)), n, Buffer.from(integer(v.length, 7, 0)), v);
  }
  return Buffer.concat(parts);
}

/** A HEADERS frame with END_HEADERS (and END_STREAM unless `body`) for a GET-like request. */
export function requestFrame(
  streamId: number,
  path: string,
  extra: Array<[string, string]> = [],
  body = false,
): Buffer {
  const block = headerBlock([
    [':method', body ? 'POST' : 'GET'],
    [':scheme', 'http'],
    [':authority', 'h2.test'],
    [':path', path],
    ...extra,
  ]);
  return frame(FRAME.HEADERS, 0x4 | (body ? 0 : 0x1), streamId, block);
}

/** RST_STREAM with `code`. */
export function resetFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

/** The client's opening: preface and an empty SETTINGS. */
export function opening(): Buffer {
  return Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]);
}

/** A parsed frame from the server. */
export interface ParsedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** Frames in `bytes` (a trailing partial frame is ignored). */
export function parseFrames(bytes: Buffer): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    out.push({
      type: bytes[at + 3] as number,
      flags: bytes[at + 4] as number,
      streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return out;
}

/** The `:status` of a HEADERS frame from the server, when it is one of HPACK's static entries. */
export function staticStatus(payload: Buffer): number | null {
  const STATIC: Record<number, number> = { 136: 200, 137: 204, 138: 206, 139: 304, 140: 400, 141: 404, 142: 500 };
  const first = payload[0] as number;
  if (STATIC[first] !== undefined) return STATIC[first] as number;
  // Literal with indexed name :status (index 8..14 → 4-bit prefix forms 0x08.. or 0x48..).
  const nameIndex = first & 0x3f;
  if ((first & 0xc0) === 0x40 || (first & 0xf0) === 0x00 || (first & 0xf0) === 0x10) {
    const index = (first & 0xc0) === 0x40 ? nameIndex : first & 0x0f;
    if (index >= 8 && index <= 14) {
      const length = (payload[1] as number) & 0x7f;
      if (((payload[1] as number) & 0x80) === 0) return Number(payload.subarray(2, 2 + length).toString('latin1'));
    }
  }
  return null;
}

/** A raw connection: what it sent back, and whether it closed. */
export interface RawH2 {
  socket: Socket;
  received: () => Buffer;
  frames: () => ParsedFrame[];
  closed: Promise<void>;
  write(bytes: Buffer): void;
  /** Resolves when `test` holds on the frames so far, or after `timeoutMs` regardless. */
  until(test: (frames: ParsedFrame[]) => boolean, timeoutMs: number): Promise<ParsedFrame[]>;
  destroy(): void;
}

/** Opens a raw connection to 127.0.0.1:`port`. */
export function rawH2(port: number): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let waiters: Array<() => void> = [];
    const wake = () => {
      const list = waiters;
      waiters = [];
      for (const w of list) w();
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      wake();
    });
    socket.on('error', () => {});
    const closed = new Promise<void>((done) =>
      socket.once('close', () => {
        wake();
        done();
      }),
    );
    const received = () => Buffer.concat(chunks);
    socket.once('connect', () =>
      resolve({
        socket,
        received,
        frames: () => parseFrames(received()),
        closed,
        write: (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        },
        async until(test, timeoutMs) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const frames = parseFrames(received());
            if (test(frames) || socket.destroyed || Date.now() >= deadline) return frames;
            await new Promise<void>((wakeUp) => {
              const timer = setTimeout(wakeUp, Math.max(1, deadline - Date.now()));
              waiters.push(() => {
                clearTimeout(timer);
                wakeUp();
              });
            });
          }
        },
        destroy: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}
