/**
 * Reading a connection's first bytes without consuming them: a stage that must decide where a
 * connection goes (TLS or not, which SNI, a PROXY header) collects what it needs, then puts it
 * back with `unshift`, so the next stage (a protocol server, a TCP forwarder) reads the stream
 * from its first byte.
 */
import type { Socket } from 'node:net';

/** Why a peek gave up: the peer was too slow, sent too much, or closed. */
export class PeekError extends Error {
  constructor(
    readonly reason: 'timeout' | 'too-large' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'PeekError';
  }
}

/**
 * Collects data until `enough(bytes)` holds, puts it back with `socket.unshift`, and resolves
 * with the bytes. Rejects with a PeekError after `timeoutMs` (0: no limit), once more than
 * `maxBytes` arrived without `enough`, or when the peer closes first; the socket is then left
 * to the caller (usually destroyed).
 */
export function readPrefix(
  socket: Socket,
  enough: (bytes: Buffer) => boolean,
  timeoutMs: number,
  maxBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      let ok: boolean;
      try {
        ok = enough(bytes);
      } catch {
        ok = true;
      }
      if (ok) {
        done();
        socket.pause();
        socket.unshift(bytes);
        resolve(bytes);
      } else if (length > maxBytes) {
        done();
        socket.pause();
        reject(new PeekError('too-large', `more than ${maxBytes} bytes before the first bytes could be read whole`));
      }
    };
    const onEnd = () => {
      done();
      // What arrived before the end is still the stream's: the caller decides with it.
      if (length > 0) {
        const bytes = Buffer.concat(chunks, length);
        socket.unshift(bytes);
        resolve(bytes);
      } else reject(new PeekError('closed', 'the peer closed before sending anything'));
    };
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        done();
        socket.pause();
        reject(new PeekError('timeout', `no complete first bytes within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    socket.resume();
  });
}

/**
 * Adapts a handler for fresh sockets to one for a peeked socket (paused, its first bytes put
 * back): Node's HTTP server reads the socket's handle directly once given the connection, and
 * only sees what was put back when the stream flows again.
 */
export function afterPeek(handler: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) => {
    handler(socket);
    socket.resume();
  };
}
