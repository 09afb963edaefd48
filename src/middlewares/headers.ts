/**
 * headers: custom request/response headers, security headers and CORS, as Traefik's headers
 * middleware. Everything that does not depend on the request is computed once at build time;
 * per request the middleware copies a prepared list of response headers and, for CORS, adds
 * the one that depends on the Origin. CORS preflights are answered here and never forwarded.
 */
import { z } from 'zod';
import { boolValue, integerValue } from '../config/value-schemas.js';
import { compileGoRegexp } from './go-regexp.js';
import { headerMap, stringList } from './options.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z.strictObject({
  customRequestHeaders: headerMap.optional(),
  customResponseHeaders: headerMap.optional(),
  accessControlAllowCredentials: boolValue.optional(),
  accessControlAllowHeaders: stringList.optional(),
  accessControlAllowMethods: stringList.optional(),
  accessControlAllowOriginList: stringList.optional(),
  accessControlAllowOriginListRegex: stringList
    .transform((sources, ctx) =>
      sources.map((source, index) => {
        try {
          return compileGoRegexp(source);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `invalid regular expression: ${(error as Error).message}`,
          });
          return /$^/;
        }
      }),
    )
    .optional(),
  accessControlExposeHeaders: stringList.optional(),
  accessControlMaxAge: integerValue().optional(),
  addVaryHeader: boolValue.optional(),
  allowedHosts: stringList.optional(),
  hostsProxyHeaders: stringList.optional(),
  sslProxyHeaders: headerMap.optional(),
  stsSeconds: integerValue().optional(),
  stsIncludeSubdomains: boolValue.optional(),
  stsPreload: boolValue.optional(),
  forceSTSHeader: boolValue.optional(),
  frameDeny: boolValue.optional(),
  customFrameOptionsValue: z.string().optional(),
  contentTypeNosniff: boolValue.optional(),
  browserXssFilter: boolValue.optional(),
  customBrowserXSSValue: z.string().optional(),
  contentSecurityPolicy: z.string().optional(),
  contentSecurityPolicyReportOnly: z.string().optional(),
  publicKey: z.string().optional(),
  referrerPolicy: z.string().optional(),
  permissionsPolicy: z.string().optional(),
  isDevelopment: boolValue.optional(),
});

/** Validated headers options. */
export type HeadersOptions = z.output<typeof schema>;

type HeaderPair = [name: string, value: string];

/** Everything the per-request handler needs, prepared once. */
interface Compiled {
  requestHeaders: HeaderPair[];
  /** Response headers for plain-HTTP and for TLS requests (STS and HPKP only go over TLS). */
  responsePlain: readonly HeaderPair[];
  responseSecure: readonly HeaderPair[];
  cors: boolean;
  originList: string[];
  originRegexps: RegExp[];
  preflightHeaders: HeaderPair[];
  allowedHosts: Set<string> | null;
  hostsProxyHeaders: string[];
  sslProxyHeaders: HeaderPair[];
}

function securityHeaders(o: HeadersOptions, secure: boolean): HeaderPair[] {
  const out: HeaderPair[] = [];
  const dev = o.isDevelopment === true;
  const sts = o.stsSeconds ?? 0;
  if (sts !== 0 && (secure || o.forceSTSHeader === true) && !dev) {
    let value = `max-age=${sts}`;
    if (o.stsIncludeSubdomains) value += '; includeSubDomains';
    if (o.stsPreload) value += '; preload';
    out.push(['strict-transport-security', value]);
  }
  if (o.customFrameOptionsValue) out.push(['x-frame-options', o.customFrameOptionsValue]);
  else if (o.frameDeny) out.push(['x-frame-options', 'DENY']);
  if (o.contentTypeNosniff) out.push(['x-content-type-options', 'nosniff']);
  if (o.customBrowserXSSValue) out.push(['x-xss-protection', o.customBrowserXSSValue]);
  else if (o.browserXssFilter) out.push(['x-xss-protection', '1; mode=block']);
  if (o.contentSecurityPolicy) out.push(['content-security-policy', o.contentSecurityPolicy]);
  if (o.contentSecurityPolicyReportOnly) {
    out.push(['content-security-policy-report-only', o.contentSecurityPolicyReportOnly]);
  }
  if (o.publicKey && secure && !dev) out.push(['public-key-pins', o.publicKey]);
  if (o.referrerPolicy) out.push(['referrer-policy', o.referrerPolicy]);
  if (o.permissionsPolicy) out.push(['permissions-policy', o.permissionsPolicy]);
  return out;
}

function compile(o: HeadersOptions): Compiled {
  const cors =
    o.accessControlAllowCredentials === true ||
    (o.accessControlAllowHeaders?.length ?? 0) > 0 ||
    (o.accessControlAllowMethods?.length ?? 0) > 0 ||
    (o.accessControlAllowOriginList?.length ?? 0) > 0 ||
    (o.accessControlAllowOriginListRegex?.length ?? 0) > 0 ||
    (o.accessControlExposeHeaders?.length ?? 0) > 0 ||
    (o.accessControlMaxAge ?? 0) !== 0 ||
    o.addVaryHeader === true;
  // Order matters where names collide: custom response headers override security headers.
  const after: HeaderPair[] = Object.entries(o.customResponseHeaders ?? {}).map(([name, value]) => [
    name.toLowerCase(),
    value,
  ]);
  if (o.accessControlAllowCredentials) after.push(['access-control-allow-credentials', 'true']);
  if (o.accessControlExposeHeaders?.length) {
    after.push(['access-control-expose-headers', o.accessControlExposeHeaders.join(',')]);
  }
  if (o.addVaryHeader) after.push(['vary', 'Origin']);
  const preflight: HeaderPair[] = [];
  if (o.accessControlAllowCredentials) preflight.push(['access-control-allow-credentials', 'true']);
  if (o.accessControlAllowHeaders?.length) {
    preflight.push(['access-control-allow-headers', o.accessControlAllowHeaders.join(',')]);
  }
  if (o.accessControlAllowMethods?.length) {
    preflight.push(['access-control-allow-methods', o.accessControlAllowMethods.join(',')]);
  }
  preflight.push(['access-control-max-age', String(o.accessControlMaxAge ?? 0)]);
  const allowed = o.isDevelopment ? [] : (o.allowedHosts ?? []);
  return {
    requestHeaders: Object.entries(o.customRequestHeaders ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    responsePlain: Object.freeze([...securityHeaders(o, false), ...after]),
    responseSecure: Object.freeze([...securityHeaders(o, true), ...after]),
    cors,
    originList: o.accessControlAllowOriginList ?? [],
    originRegexps: o.accessControlAllowOriginListRegex ?? [],
    preflightHeaders: preflight,
    allowedHosts: allowed.length > 0 ? new Set(allowed.map((host) => host.toLowerCase())) : null,
    hostsProxyHeaders: (o.hostsProxyHeaders ?? []).map((name) => name.toLowerCase()),
    sslProxyHeaders: Object.entries(o.sslProxyHeaders ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  };
}

/** The Access-Control-Allow-Origin value for `origin`, or '' when it is not allowed. */
function allowOrigin(c: Compiled, origin: string): string {
  for (let i = 0; i < c.originList.length; i++) {
    const item = c.originList[i]!;
    if (item === '*' || item === origin) return item;
  }
  for (let i = 0; i < c.originRegexps.length; i++) {
    if (c.originRegexps[i]!.test(origin)) return origin;
  }
  return '';
}

function headerValue(ctx: RequestContext, name: string): string {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function isSecure(c: Compiled, ctx: RequestContext): boolean {
  if (ctx.scheme === 'https') return true;
  for (let i = 0; i < c.sslProxyHeaders.length; i++) {
    const [name, value] = c.sslProxyHeaders[i]!;
    if (headerValue(ctx, name) === value) return true;
  }
  return false;
}

function hostAllowed(c: Compiled, ctx: RequestContext): boolean {
  let host = ctx.host;
  for (let i = 0; i < c.hostsProxyHeaders.length; i++) {
    const proxied = headerValue(ctx, c.hostsProxyHeaders[i]!);
    if (proxied !== '') {
      host = proxied.toLowerCase();
      break;
    }
  }
  return c.allowedHosts!.has(host);
}

function respond(ctx: RequestContext, status: number, body: string, headers: HeaderPair[]): void {
  for (let i = 0; i < headers.length; i++) ctx.res.setHeader(headers[i]![0], headers[i]![1]);
  ctx.res.setHeader('content-length', Buffer.byteLength(body));
  if (body !== '') ctx.res.setHeader('content-type', 'text/plain; charset=utf-8');
  ctx.res.writeHead(status);
  ctx.res.end(body);
}

function handle(c: Compiled, next: Handler, ctx: RequestContext): void {
  const req = ctx.req;
  if (c.cors && req.method === 'OPTIONS' && req.headers.origin && req.headers['access-control-request-method']) {
    const origin = allowOrigin(c, req.headers.origin);
    if (origin !== '') ctx.res.setHeader('access-control-allow-origin', origin);
    respond(ctx, 200, '', c.preflightHeaders);
    return;
  }
  if (c.allowedHosts !== null && !hostAllowed(c, ctx)) {
    respond(ctx, 500, 'Bad Host', []);
    return;
  }
  for (let i = 0; i < c.requestHeaders.length; i++) {
    const [name, value] = c.requestHeaders[i]!;
    if (value === '') delete req.headers[name];
    else req.headers[name] = value;
  }
  const prepared = isSecure(c, ctx) ? c.responseSecure : c.responsePlain;
  const origin = c.cors ? allowOrigin(c, headerValue(ctx, 'origin')) : '';
  if (prepared.length > 0 || origin !== '') {
    // Copy: the prepared list is shared by all requests, later middlewares may push to ours.
    const list = ctx.responseHeaders;
    if (list === null) ctx.responseHeaders = prepared.slice();
    else for (let i = 0; i < prepared.length; i++) list.push(prepared[i]!);
    if (origin !== '') ctx.responseHeaders!.push(['access-control-allow-origin', origin]);
  }
  next(ctx);
}

/** The headers middleware type. */
/** Removed from Traefik v3's headers middleware (still accepted by its configuration): what to use instead. */
const REMOVED_IN_V3 = {
  sslRedirect: 'removed in Traefik v3, use a redirectScheme middleware or the entry point redirection',
  sslTemporaryRedirect: 'removed in Traefik v3, use a redirectScheme middleware (permanent: false)',
  sslHost: 'removed in Traefik v3, use a redirectRegex middleware',
  sslForceHost: 'removed in Traefik v3, use a redirectRegex middleware',
  featurePolicy: 'removed in Traefik v3, use permissionsPolicy',
};

export const headers: MiddlewareDefinition<HeadersOptions> = {
  type: 'headers',
  schema,
  ignoredOptions: REMOVED_IN_V3,
  build(options) {
    const compiled = compile(options);
    return (next: Handler): Handler =>
      (ctx) =>
        handle(compiled, next, ctx);
  },
};
