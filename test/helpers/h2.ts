/** An HTTP/2 client for tests (Node's `http2`), h2c with prior knowledge or over TLS. */
import { type ClientHttp2Session, connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

/** One HTTP/2 answer: the response headers (`:status` among them), the body and the trailers. */
export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders;
}

/** Opens a session to `url` (`http://` is h2c with prior knowledge); close it when done. */
export function h2Session(url: string, options: Parameters<typeof connect>[1] = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, options);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => {});
      resolve(session);
    });
    session.once('error', reject);
  });
}

/** Sends one request on `session` and reads the whole answer. */
export function h2Request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
  trailers?: OutgoingHttpHeaders,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const defaults = headers[':method'] === 'CONNECT' ? {} : { ':method': 'GET', ':path': '/' };
    const stream = session.request(
      { ...defaults, ...headers },
      trailers === undefined ? {} : { waitForTrailers: true },
    );
    if (trailers !== undefined) stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    let responseTrailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.once('response', (h) => {
      responseHeaders = h;
      status = Number(h[':status']);
    });
    stream.once('trailers', (t) => {
      responseTrailers = t;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () =>
      resolve({
        status,
        headers: responseHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        trailers: responseTrailers,
      }),
    );
    stream.once('error', reject);
    stream.once('close', () => {
      if (status === 0)
        reject(Object.assign(new Error(`stream closed with code ${stream.rstCode}`), { rstCode: stream.rstCode }));
    });
    if (body !== undefined) stream.end(body);
    else stream.end();
  });
}

/** Opens a session, sends one request, closes the session. */
export async function h2Once(url: string, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Response> {
  const session = await h2Session(url);
  try {
    return await h2Request(session, headers, body);
  } finally {
    session.close();
  }
}
