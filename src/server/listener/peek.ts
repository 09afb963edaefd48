/**
 * Reads the first bytes of a connection without consuming them: a stage that must look before it
 * decides (a TLS record or plaintext, a ClientHello's SNI and ALPN, a PROXY header) collects data
 * until it has enough, then puts it back (`unshift`) for whoever reads the socket next, a TLS
 * socket or a protocol server. The socket is left paused; the next stage resumes it.
 */
import type { Socket } from 'node:net';

const EMPTY = Buffer.alloc(0);

/**
 * Collects data until `enough(bytes)` says so, `maxBytes` arrived, the peer ended or failed, or
 * `timeoutMs` passed; puts the bytes back and resolves with them (possibly empty). Never rejects.
 */
export function readPrefix(
  socket: Socket,
  enough: (bytes: Buffer) => boolean,
  timeoutMs: number,
  maxBytes: number,
): Promise<Buffer> {
  return new Promise((resolve) => {
    let collected: Buffer = EMPTY;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('error', finish);
      socket.off('close', finish);
      socket.pause();
      if (collected.length > 0 && !socket.destroyed) socket.unshift(collected);
      resolve(collected);
    };
    const onData = (chunk: Buffer) => {
      collected = collected.length === 0 ? chunk : Buffer.concat([collected, chunk]);
      if (collected.length >= maxBytes || enough(collected)) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', finish);
    socket.once('close', finish);
    // A socket an earlier stage peeked at is paused with its bytes put back: flow again.
    if (socket.isPaused()) socket.resume();
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
