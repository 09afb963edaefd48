/**
 * forwardAuth: asks an authentication server about every request before it goes on, as
 * Traefik's. The auth request is a GET (the client's method with `preserveRequestMethod`) to
 * `address`, carrying the client's headers (or only `authRequestHeaders`) and
 * X-Forwarded-Method/Proto/Host/Port/Uri/For. A 2xx answer lets the request through, with the
 * `authResponseHeaders` (and those matching `authResponseHeadersRegex`) copied from the answer
 * onto the request; any other answer goes back to the client as it is (status, headers, body),
 * with a relative Location made absolute against `address` unless `preserveLocationHeader`.
 * An auth server that cannot be reached, times out or breaks its answer is a 500 for that
 * request and an error log line; a body over `maxBodySize` (with `forwardBody`) or an answer
 * over `maxResponseBodySize` is a 401.
 *
 * The auth server is called through a keep-alive agent per middleware, each request bounded by
 * AUTH_TIMEOUT_MS (Traefik's client timeout) and aborted when the client goes away.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { boolValue, integerValue } from '../config/value-schemas.js';
import type { Logger } from '../core/logger.js';
import { connectionTokens, HOP_BY_HOP } from '../proxy/hop-by-hop.js';
import { plainAddress, requestUri } from '../proxy/request-headers.js';
import { withOverrides } from '../proxy/response-overrides.js';
import { sendError } from '../proxy/responses.js';
import { compileGoRegexp } from './go-regexp.js';
import { OptionError, stringList } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  address: z.string().trim(),
  tls: z
    .strictObject({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      insecureSkipVerify: boolValue.optional(),
      caOptional: boolValue.optional(),
    })
    .optional(),
  trustForwardHeader: boolValue.optional(),
  authResponseHeaders: stringList.optional(),
  authResponseHeadersRegex: z.string().optional(),
  authRequestHeaders: stringList.optional(),
  addAuthCookiesToResponse: stringList.optional(),
  headerField: z.string().trim().optional(),
  forwardBody: boolValue.optional(),
  maxBodySize: integerValue().optional(),
  maxResponseBodySize: integerValue().optional(),
  preserveLocationHeader: boolValue.optional(),
  preserveRequestMethod: boolValue.optional(),
  authSigninURL: z.string().trim().optional(),
});

/** Validated forwardAuth options. */
export type ForwardAuthOptions = z.output<typeof schema>;

/** The whole auth exchange (connect, send, answer read), as Traefik's client timeout. */
export const AUTH_TIMEOUT_MS = 30_000;

/** Idle keep-alive sockets to the auth server close after this (an old table's agent empties itself). */
const IDLE_SOCKET_MS = 15_000;

/** Traefik's managed X-headers: dropped from the auth request unless `trustForwardHeader`. */
const X_HEADERS = [
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-prefix',
  'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info',
  'x-scheme',
  'x-real-ip',
];

/** Headers of the auth server's answer never copied to the client (Traefik's hop headers). */
const ANSWER_DROPPED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Go's canonical header key (`x-auth-user` → `X-Auth-User`), what Traefik's regex is matched against. */
export function canonicalHeaderKey(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** The auth server's answer, read whole. */
interface AuthAnswer {
  status: number;
  /** Header names as sent, and their values, in order (raw pairs). */
  raw: string[];
  /** Values by lower-case name. */
  values: Map<string, string[]>;
  body: Buffer;
}

class TooLarge extends Error {}

/** Reads at most `limit` bytes of `stream` (negative: no limit); rejects with TooLarge beyond. */
function readBounded(stream: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (limit >= 0 && size > limit) {
        stream.removeAllListeners('data');
        stream.pause();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('aborted', () => reject(new Error('the stream was cut before its end')));
  });
}

function pemOption(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  // As Traefik's ClientTLS: a path when such a file exists, else the PEM text itself.
  if (existsSync(value)) {
    try {
      return readFileSync(value, 'utf8');
    } catch (error) {
      throw new OptionError(field, `cannot read ${JSON.stringify(value)}: ${(error as Error).message}`);
    }
  }
  if (value.includes('-----BEGIN')) return value;
  throw new OptionError(field, `no such file ${JSON.stringify(value)} (and not PEM text)`);
}

/** One forwardAuth middleware, shared by the routers that use it. */
class ForwardAuth {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly responseHeaders: string[];
  private readonly responseRegex: RegExp | null;
  private readonly requestHeaders: Set<string> | null;
  private readonly authCookies: Set<string>;
  private readonly trust: boolean | undefined;
  private readonly headerField: string;
  private readonly forwardBody: boolean;
  private readonly maxBodySize: number;
  private readonly maxResponseBodySize: number;
  private readonly preserveLocation: boolean;
  private readonly preserveMethod: boolean;
  private readonly signinUrl: string;

  constructor(
    options: ForwardAuthOptions,
    private readonly logger: Logger | undefined,
    private readonly name: string,
    warn: (message: string) => void,
  ) {
    let url: URL;
    try {
      url = new URL(options.address);
    } catch {
      throw new OptionError('address', `invalid URL ${JSON.stringify(options.address)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OptionError('address', `expected an http:// or https:// URL, got ${JSON.stringify(options.address)}`);
    }
    this.url = url;
    const tls = options.tls;
    if (tls?.caOptional !== undefined) {
      warn('tls.caOptional is deprecated (TLS client authentication is a server-side option) and ignored');
    }
    if ((tls?.cert ?? '') !== '' && (tls?.key ?? '') === '') throw new OptionError('tls.key', 'tls.cert needs tls.key');
    if ((tls?.key ?? '') !== '' && (tls?.cert ?? '') === '')
      throw new OptionError('tls.cert', 'tls.key needs tls.cert');
    if (url.protocol === 'https:') {
      this.agent = new HttpsAgent({
        keepAlive: true,
        timeout: IDLE_SOCKET_MS,
        ca: pemOption(tls?.ca, 'tls.ca'),
        cert: pemOption(tls?.cert, 'tls.cert'),
        key: pemOption(tls?.key, 'tls.key'),
        rejectUnauthorized: tls?.insecureSkipVerify !== true,
      });
      this.send = httpsRequest as typeof httpRequest;
    } else {
      this.agent = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
      this.send = httpRequest;
    }
    this.responseHeaders = (options.authResponseHeaders ?? []).map((name) => name.trim().toLowerCase());
    const regex = options.authResponseHeadersRegex ?? '';
    if (regex !== '') {
      try {
        this.responseRegex = compileGoRegexp(regex);
      } catch (error) {
        throw new OptionError('authResponseHeadersRegex', `invalid regular expression: ${(error as Error).message}`);
      }
    } else {
      this.responseRegex = null;
    }
    this.trust = options.trustForwardHeader;
    const allowed = (options.authRequestHeaders ?? []).map((name) => name.trim().toLowerCase());
    if (allowed.length > 0 && this.trust === true) allowed.push(...X_HEADERS);
    this.requestHeaders = allowed.length > 0 ? new Set(allowed) : null;
    this.authCookies = new Set(options.addAuthCookiesToResponse ?? []);
    this.headerField = (options.headerField ?? '').toLowerCase();
    this.forwardBody = options.forwardBody === true;
    this.maxBodySize = options.maxBodySize ?? -1;
    this.maxResponseBodySize = options.maxResponseBodySize ?? -1;
    this.preserveLocation = options.preserveLocationHeader === true;
    this.preserveMethod = options.preserveRequestMethod === true;
    this.signinUrl = options.authSigninURL ?? '';
  }

  handle(ctx: RequestContext, next: Handler): void {
    if (this.forwardBody && ctx.bufferedBody == null && hasBody(ctx.req)) {
      readBounded(ctx.req, this.maxBodySize).then(
        (body) => {
          ctx.bufferedBody = body;
          this.ask(ctx, next);
        },
        (error: unknown) => {
          if (error instanceof TooLarge) {
            // The rest of the body is not read: the connection cannot be reused.
            ctx.res.shouldKeepAlive = false;
            sendEmpty(ctx, 401);
          } else ctx.res.destroy();
        },
      );
      return;
    }
    this.ask(ctx, next);
  }

  /** Sends the auth request and acts on the answer. */
  private ask(ctx: RequestContext, next: Handler): void {
    const res = ctx.res;
    if (res.destroyed || res.writableEnded) return;
    const body = this.forwardBody ? ctx.bufferedBody : null;
    const headers = this.authRequestHeaders(ctx, body);
    const method = this.preserveMethod ? (ctx.req.method ?? 'GET') : 'GET';
    let settled = false;
    const outgoing = this.send(this.url, { method, headers, agent: this.agent });
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer within ${AUTH_TIMEOUT_MS} ms`)),
      AUTH_TIMEOUT_MS,
    );
    const onClientGone = (): void => {
      if (!settled) outgoing.destroy(new Error('the client went away'));
    };
    res.once('close', onClientGone);
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      res.removeListener('close', onClientGone);
      return !(res.destroyed || res.writableEnded);
    };
    const fail = (error: Error): void => {
      if (!finish()) return;
      this.logger?.error(
        { middleware: this.name, address: this.url.href, err: error.message },
        'forwardAuth: error calling the authentication server',
      );
      sendEmpty(ctx, 500);
    };
    outgoing.on('error', fail);
    outgoing.on('response', (answer: IncomingMessage) => {
      readBounded(answer, this.maxResponseBodySize).then(
        (answerBody) => {
          if (!finish()) return;
          try {
            this.answered(ctx, next, collect(answer, answerBody));
          } catch (error) {
            this.logger?.error({ middleware: this.name, err: (error as Error).message }, 'forwardAuth: bad answer');
            sendError(res, 500);
          }
        },
        (error: unknown) => {
          answer.destroy();
          if (error instanceof TooLarge) {
            if (!finish()) return;
            sendEmpty(ctx, 401);
            return;
          }
          fail(error as Error);
        },
      );
    });
    outgoing.end(body != null && body.length > 0 ? body : undefined);
  }

  /** The headers of the auth request, Traefik's way (auth.go writeHeader / oldWriteHeader). */
  private authRequestHeaders(ctx: RequestContext, body: Buffer | null | undefined): OutgoingHttpHeaders {
    const incoming = ctx.req.headers;
    const dropped = connectionTokens(incoming.connection);
    const out: OutgoingHttpHeaders = {};
    for (const name in incoming) {
      if (name === 'host' || name === 'content-length' || HOP_BY_HOP.has(name) || dropped?.has(name)) continue;
      // Proxy-Authorization is meant for the auth server (RFC 7235 §4.4), Traefik sends it.
      out[name] = incoming[name];
    }
    if (incoming['proxy-authorization'] !== undefined) out['proxy-authorization'] = incoming['proxy-authorization'];
    if (this.trust === false) for (const name of X_HEADERS) delete out[name];
    if (this.requestHeaders !== null) {
      for (const name in out) if (!this.requestHeaders.has(name)) delete out[name];
    }
    if (body != null && body.length > 0) out['content-length'] = body.length;
    const client = plainAddress(ctx.req.socket.remoteAddress);
    const host = incoming.host ?? ctx.host;
    const uri = requestUri(ctx);
    const proto = ctx.scheme;
    if (this.trust === undefined) {
      // Traefik's behaviour when trustForwardHeader is not set: always its own values.
      out['x-forwarded-for'] = client;
      out['x-forwarded-proto'] = proto;
      out['x-forwarded-method'] = ctx.req.method ?? 'GET';
      out['x-forwarded-host'] = host;
      out['x-forwarded-uri'] = uri;
      return out;
    }
    const prior = out['x-forwarded-for'];
    out['x-forwarded-for'] =
      prior === undefined ? client : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}`;
    out['x-forwarded-method'] ??= ctx.req.method ?? 'GET';
    out['x-forwarded-proto'] ??= proto;
    out['x-forwarded-port'] ??= forwardedPort(host, String(out['x-forwarded-proto']), proto);
    out['x-forwarded-host'] ??= host;
    out['x-forwarded-uri'] ??= uri;
    return out;
  }

  private answered(ctx: RequestContext, next: Handler, answer: AuthAnswer): void {
    if (this.headerField !== '') {
      const user = answer.values.get(this.headerField)?.[0];
      if (user !== undefined) ctx.user = user;
    }
    if (this.signinUrl !== '' && answer.status === 401) {
      const text = `<a href="${escapeHtml(this.signinUrl)}">Found</a>.\n\n`;
      ctx.res.writeHead(302, {
        location: this.signinUrl,
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (answer.status < 200 || answer.status >= 300) {
      this.refuse(ctx, answer);
      return;
    }
    const headers = ctx.req.headers;
    for (const name of this.responseHeaders) {
      delete headers[name];
      const values = answer.values.get(name);
      if (values !== undefined) headers[name] = values.length === 1 ? values[0] : values;
    }
    const regex = this.responseRegex;
    if (regex !== null) {
      for (const name in headers) if (regex.test(canonicalHeaderKey(name))) delete headers[name];
      for (const [name, values] of answer.values) {
        if (regex.test(canonicalHeaderKey(name))) headers[name] = values.length === 1 ? values[0] : values;
      }
    }
    const cookies = answer.values.get('set-cookie');
    if (cookies !== undefined && this.authCookies.size > 0) this.addCookies(ctx, cookies);
    next(ctx);
  }

  /** A non-2xx answer of the auth server goes to the client as it is. */
  private refuse(ctx: RequestContext, answer: AuthAnswer): void {
    const raw: string[] = [];
    let location: string | undefined;
    for (let i = 0; i < answer.raw.length; i += 2) {
      const name = answer.raw[i] as string;
      const lower = name.toLowerCase();
      if (ANSWER_DROPPED.has(lower) || lower === 'content-length') continue;
      if (lower === 'location') {
        location ??= answer.raw[i + 1] as string;
        continue;
      }
      raw.push(name, answer.raw[i + 1] as string);
    }
    if (location !== undefined && location !== '') {
      if (!this.preserveLocation) {
        try {
          location = new URL(location, this.url).href;
        } catch {
          sendEmpty(ctx, 500);
          return;
        }
      }
      raw.push('Location', location);
    }
    raw.push('Content-Length', String(answer.body.length));
    const overrides = ctx.responseHeaders;
    ctx.res.writeHead(answer.status, overrides === null ? raw : withOverrides(raw, overrides));
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : answer.body);
  }

  /**
   * `addAuthCookiesToResponse`: the auth server's cookies of those names replace the backend's
   * cookies of the same names in the response.
   */
  private addCookies(ctx: RequestContext, cookies: string[]): void {
    const wanted = cookies.filter((cookie) => this.authCookies.has(cookieName(cookie)));
    if (wanted.length === 0) return;
    const names = this.authCookies;
    const res = ctx.res;
    const original = res.writeHead;
    // Only requests whose auth answer set such a cookie pay for this per-request wrapper.
    res.writeHead = function (this: typeof res, status: number, ...rest: unknown[]) {
      res.writeHead = original;
      const last = rest.length > 0 ? rest[rest.length - 1] : undefined;
      const message = typeof rest[0] === 'string' ? rest[0] : undefined;
      const pairs = headerPairs(last);
      const kept: string[] = [];
      for (let i = 0; i < pairs.length; i += 2) {
        const name = pairs[i] as string;
        if (name.toLowerCase() === 'set-cookie' && names.has(cookieName(pairs[i + 1] as string))) continue;
        kept.push(name, pairs[i + 1] as string);
      }
      for (const cookie of wanted) kept.push('Set-Cookie', cookie);
      const write = original as (this: unknown, ...args: unknown[]) => typeof res;
      return message === undefined ? write.call(this, status, kept) : write.call(this, status, message, kept);
    } as typeof res.writeHead;
  }
}

/** Response headers as raw pairs, whichever form writeHead got them in. */
function headerPairs(headers: unknown): string[] {
  if (headers === undefined || headers === null || typeof headers !== 'object') return [];
  if (Array.isArray(headers)) return headers.map(String);
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (Array.isArray(value)) for (const item of value) out.push(name, String(item));
    else if (value !== undefined) out.push(name, String(value));
  }
  return out;
}

function cookieName(setCookie: string): string {
  const eq = setCookie.indexOf('=');
  return (eq === -1 ? setCookie : setCookie.slice(0, eq)).trim();
}

function collect(answer: IncomingMessage, body: Buffer): AuthAnswer {
  const values = new Map<string, string[]>();
  const raw = answer.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    const list = values.get(lower);
    if (list === undefined) values.set(lower, [raw[i + 1] as string]);
    else list.push(raw[i + 1] as string);
  }
  return { status: answer.statusCode ?? 500, raw, values, body };
}

function hasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/** Traefik's X-Forwarded-Port: the Host header's port, else 443 or 80 by scheme. */
function forwardedPort(host: string, forwardedProto: string, scheme: string): string {
  const port = /:(\d+)$/.exec(host);
  if (port !== null && !host.endsWith(']')) return port[1] as string;
  return forwardedProto === 'https' || forwardedProto === 'wss' || scheme === 'https' ? '443' : '80';
}

/** An answer with a status and no body, as Go's `WriteHeader(code)` alone writes. */
function sendEmpty(ctx: RequestContext, status: number): void {
  const res = ctx.res;
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The forwardAuth middleware type. */
export const forwardAuth: MiddlewareDefinition<ForwardAuthOptions> = {
  type: 'forwardAuth',
  schema,
  build(options, context) {
    if (options.address === '')
      throw new OptionError('address', 'the address of the authentication server is required');
    const instance = new ForwardAuth(options, context.logger, context.name, (message) => context.warn?.(message));
    // Traefik logs these at creation (they are not errors: Traefik's defaults apply).
    const unset = [
      options.trustForwardHeader === undefined ? 'trustForwardHeader (the legacy X-Forwarded-* behaviour applies)' : '',
      options.maxBodySize === undefined && options.forwardBody === true ? 'maxBodySize (request bodies unbounded)' : '',
      options.maxResponseBodySize === undefined ? 'maxResponseBodySize (auth answers unbounded)' : '',
    ].filter(Boolean);
    if (unset.length > 0) {
      context.logger?.warn({ middleware: context.name, unset }, 'forwardAuth: options worth setting are not set');
    }
    return (next: Handler): Handler =>
      (ctx) =>
        instance.handle(ctx, next);
  },
};
