/**
 * Reading the first bytes of a connection without consuming them: a stage that must decide
 * where a connection goes (the HTTP/2 connection preface, a TLS ClientHello) reads until it
 * knows, then puts the bytes back so the next stage sees the connection from its first byte.
 */
import type { Socket } from 'node:net';

/**
 * Collects the socket's first bytes until `enough(bytes)` says so or `maxBytes` arrived, puts
 * them back (`socket.unshift`, the socket left paused for the next stage) and resolves with them.
 * Rejects when the peer closes, errs or sends nothing decisive within `timeoutMs`; the socket is
 * then the caller's to destroy.
 */
export function readPrefix(
  socket: Socket,
  enough: (bytes: Buffer) => boolean,
  timeoutMs: number,
  maxBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let collected: Buffer = EMPTY;
    let timer: NodeJS.Timeout | null = null;
    const done = (error: Error | null) => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
      if (timer !== null) clearTimeout(timer);
      if (error !== null) {
        reject(error);
        return;
      }
      socket.pause();
      if (collected.length > 0) socket.unshift(collected);
      resolve(collected);
    };
    const onData = (chunk: Buffer) => {
      collected = collected.length === 0 ? chunk : Buffer.concat([collected, chunk]);
      if (collected.length >= maxBytes || enough(collected)) done(null);
    };
    const onEnd = () =>
      done(Object.assign(new Error('connection closed before its first bytes'), { code: 'ECONNRESET' }));
    const onError = (error: Error) => done(error);
    if (timeoutMs > 0) {
      timer = setTimeout(() => done(Object.assign(new Error('no bytes in time'), { code: 'ETIMEDOUT' })), timeoutMs);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

const EMPTY = Buffer.alloc(0);
