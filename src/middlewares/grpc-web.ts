/**
 * grpcWeb: turns gRPC-Web requests (browsers, over HTTP/1.1 or HTTP/2) into gRPC for the server
 * and its answers back into gRPC-Web, as Traefik's middleware does (traefik/grpc-web's wrapper
 * with rs/cors): a POST whose Content-Type starts with `application/grpc-web` is rewritten
 * (`application/grpc-web[-text]` → `application/grpc`, Content-Length removed, the `-text`
 * variant's body base64-decoded, `TE: trailers` as gRPC requires) and its answer translated
 * (grpc-web-response.ts). A CORS preflight asking for `x-grpc-web` is answered here: 200 with
 * the origin echoed when `allowOrigins` holds it or `*`, credentials allowed, a max age of 600 s.
 * Every other request goes through unchanged. The service must speak HTTP/2 (`h2c://`, or
 * `https://` servers that choose h2).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { answerAsGrpcWeb } from './grpc-web-response.js';
import { stringList } from './options.js';
import type { Handler, MiddlewareBuildContext, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({ allowOrigins: stringList.optional() });

/** Validated grpcWeb options. */
export type GrpcWebOptions = z.output<typeof schema>;

const WEB = 'application/grpc-web';
const WEB_TEXT = 'application/grpc-web-text';

/** Go's textproto canonical form of each name in an Access-Control-Request-Headers list. */
function requestedHeaders(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(/[\s,]+/)) {
    if (part === '') continue;
    out.push(
      part.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
    );
  }
  return out;
}

/** The base64 body of a `-text` request, decoded as it streams (whole 4-character groups). */
class Base64Decoder extends Transform {
  private carry = '';
  constructor(private readonly onInvalid: () => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const text = this.carry + chunk.toString('latin1').replace(/[\r\n]/g, '');
    const whole = text.length - (text.length % 4);
    this.carry = text.slice(whole);
    const groups = text.slice(0, whole);
    if (!/^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)*$/.test(groups)) {
      this.onInvalid();
      done();
      return;
    }
    done(null, groups === '' ? undefined : Buffer.from(groups, 'base64'));
  }
  override _flush(done: TransformCallback): void {
    if (this.carry !== '') this.onInvalid();
    done();
  }
}

function preflight(ctx: RequestContext, allowed: (origin: string) => boolean): void {
  const { req, res } = ctx;
  res.setHeader('vary', ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers']);
  const origin = req.headers.origin;
  const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
  // rs/cors's defaults: GET, POST and HEAD, and every request header.
  if (origin !== undefined && origin !== '' && allowed(origin) && ['GET', 'POST', 'HEAD', 'OPTIONS'].includes(method)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-methods', method);
    const headers = requestedHeaders(String(req.headers['access-control-request-headers'] ?? ''));
    if (headers.length > 0) res.setHeader('access-control-allow-headers', headers.join(', '));
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(200, { 'content-length': '0' });
  res.end();
}

function translate(
  ctx: RequestContext,
  contentType: string,
  allowed: (origin: string) => boolean,
  context: MiddlewareBuildContext,
): void {
  const { req, res } = ctx;
  res.setHeader('vary', 'Origin');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== '' && allowed(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
  }
  const text = contentType.startsWith(WEB_TEXT);
  const headers = req.headers;
  headers['content-type'] = contentType.replace(text ? WEB_TEXT : WEB, 'application/grpc');
  // The length was the HTTP/1.1 body's (and the text body's, before decoding): HTTP/2 frames it.
  if (headers['content-length'] !== undefined) {
    delete headers['content-length'];
    headers['transfer-encoding'] = 'chunked';
  }
  headers.te = 'trailers';
  if (text) {
    const decoder = new Base64Decoder(() => {
      context.logger?.debug({ middleware: context.name }, 'grpcWeb: the -text request body is not base64');
      res.destroy();
    });
    req.pipe(decoder);
    ctx.bodySource = decoder;
  }
  answerAsGrpcWeb(res, text);
}

/** The grpcWeb middleware type. */
export const grpcWeb: MiddlewareDefinition<GrpcWebOptions> = {
  type: 'grpcWeb',
  schema,
  build(options, context) {
    const origins = options.allowOrigins ?? [];
    const any = origins.includes('*');
    const allowed = (origin: string): boolean => any || origins.includes(origin);
    return (next: Handler): Handler =>
      (ctx) => {
        const req = ctx.req;
        const method = req.method;
        if (method === 'POST') {
          const contentType = req.headers['content-type'];
          if (contentType?.startsWith(WEB)) translate(ctx, contentType, allowed, context);
        } else if (
          method === 'OPTIONS' &&
          req.headers['access-control-request-method'] !== undefined &&
          String(req.headers['access-control-request-headers'] ?? '')
            .toLowerCase()
            .includes('x-grpc-web')
        ) {
          preflight(ctx, allowed);
          return;
        }
        next(ctx);
      };
  },
};
