import type { RequestContext } from '../core/request-context.js';
/**
 * A small route table for `api@internal`: method + path pattern (`/api/http/routers/{name}`)
 * to a handler returning a JSON body. Other parts of Switchyard add their own routes (e.g.
 * `switchyard up` adds `/api/stack/...`) through `add`. Names in paths are URL-decoded
 * (`api%40internal` → `api@internal`).
 */

/** What an API handler receives. */
export interface ApiRequest {
  ctx: RequestContext;
  /** Decoded `{param}` segments of the pattern. */
  params: Record<string, string>;
  query: URLSearchParams;
}

/** A non-200 or header-carrying answer. */
export class ApiResponse {
  constructor(
    readonly body: unknown,
    readonly status = 200,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** An error answered as `{ "message": … }` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An API handler: returns a JSON body (200), an ApiResponse, or `undefined` when it has
 * answered by itself (streams). Throwing an ApiError answers with its status.
 */
export type ApiHandler = (request: ApiRequest) => unknown;

interface Route {
  method: string;
  segments: string[];
  handler: ApiHandler;
}

/** Writes a JSON response. */
export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  ctx.res.end(text);
}

/** The API's routes. */
export class ApiRoutes {
  private readonly routes: Route[] = [];

  /** Adds a route; `pattern` segments in braces are parameters. Later routes do not shadow earlier ones. */
  add(method: string, pattern: string, handler: ApiHandler): void {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
  }

  /** Answers a request (404/405 JSON errors when no route fits). */
  handle(ctx: RequestContext): void {
    const segments = split(ctx.path);
    const method = ctx.req.method === 'HEAD' ? 'GET' : (ctx.req.method ?? 'GET');
    let pathKnown = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === null) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      this.run(route, { ctx, params, query: new URLSearchParams(ctx.query) });
      return;
    }
    if (pathKnown) sendJson(ctx, 405, { message: `method ${method} not allowed on ${ctx.path}` });
    else sendJson(ctx, 404, { message: `unknown API path ${ctx.path}` });
  }

  private run(route: Route, request: ApiRequest): void {
    const { ctx } = request;
    const fail = (error: unknown) => {
      if (ctx.res.headersSent) {
        ctx.res.destroy();
        return;
      }
      if (error instanceof ApiError) sendJson(ctx, error.status, { message: error.message });
      else sendJson(ctx, 500, { message: (error as Error)?.message ?? String(error) });
    };
    const answer = (result: unknown) => {
      if (result === undefined) return;
      if (result instanceof ApiResponse) sendJson(ctx, result.status, result.body, result.headers);
      else sendJson(ctx, 200, result);
    };
    try {
      const result = route.handler(request);
      if (result instanceof Promise) result.then(answer, fail);
      else answer(result);
    } catch (error) {
      fail(error);
    }
  }
}

/** Reads a JSON request body (for routes that take one), at most `limit` bytes. */
export function readJsonBody(ctx: RequestContext, limit = 1 << 20): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) reject(new ApiError(413, 'request body too large'));
      else chunks.push(chunk);
    });
    ctx.req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiError(400, 'request body is not valid JSON'));
      }
    });
    ctx.req.on('error', reject);
  });
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  if (pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = path[i] as string;
    if (expected.startsWith('{') && expected.endsWith('}')) {
      try {
        params[expected.slice(1, -1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) return null;
  }
  return params;
}
