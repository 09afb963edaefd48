/**
 * h2c with prior knowledge on a plaintext entry point: a client that knows the server speaks
 * HTTP/2 opens with the connection preface (RFC 9113 §3.4) instead of a request line. This stage
 * reads just enough of a new connection to tell (its first byte, or the 24 bytes of the preface),
 * puts the bytes back and hands the connection to the HTTP/2 or the HTTP/1.1 server. Traefik
 * serves h2c on every plaintext entry point, and so does Switchyard unless `http2.h2c` is false
 * (then this stage is left out, and the preface gets the HTTP/1.1 parser's 400).
 */
import type { Socket } from 'node:net';
import type { ConnectionHandler } from './listener.js';
import { readPrefix } from './peek.js';

/** The HTTP/2 client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Whether the bytes so far decide: the whole preface, or a byte that differs from it. */
export function prefaceDecided(bytes: Buffer): boolean {
  if (bytes.length >= H2_PREFACE.length) return true;
  return bytes.compare(H2_PREFACE, 0, bytes.length, 0, bytes.length) !== 0;
}

/** Whether a connection's first bytes are the HTTP/2 preface. */
export function isH2Preface(bytes: Buffer): boolean {
  return (
    bytes.length >= H2_PREFACE.length && bytes.compare(H2_PREFACE, 0, H2_PREFACE.length, 0, H2_PREFACE.length) === 0
  );
}

/**
 * The stage: each connection goes to `http2` when it opens with the preface, else to `http1`.
 * A client silent for `timeoutMs` (the HTTP/1.1 head timeout) is closed, as HTTP/1.1 would.
 */
export function createH2cStage(
  http1: ConnectionHandler,
  http2: ConnectionHandler,
  timeoutMs: number,
): ConnectionHandler {
  return (socket: Socket) => {
    // Until a stage owns the socket, an error (a reset mid-peek) must not go unhandled.
    socket.on('error', destroySocket);
    readPrefix(socket, prefaceDecided, timeoutMs, H2_PREFACE.length).then((bytes) => {
      socket.removeListener('error', destroySocket);
      if (socket.destroyed) return;
      // readPrefix never rejects: silence until the timeout, or a close mid-preface, ends here.
      if (!prefaceDecided(bytes)) {
        socket.destroy();
        return;
      }
      if (isH2Preface(bytes)) http2(socket);
      else {
        http1(socket);
        // The HTTP/1.1 server reads through 'data' listeners, which do not restart a stream
        // paused by the peek.
        socket.resume();
      }
    });
  };
}

function destroySocket(this: Socket): void {
  this.destroy();
}
