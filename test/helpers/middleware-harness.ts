/**
 * Test support for middleware tests: a real node:http server on 127.0.0.1 that runs a built
 * chain and, at the end, echoes what the proxy would forward. Not used at run time.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Handler, RequestContext } from '../../src/core/request-context.js';
import { buildMiddleware } from '../../src/middlewares/registry.js';
import type { MiddlewareBuildContext, MiddlewareWrapper } from '../../src/middlewares/types.js';
import { normalizeHost } from '../../src/rules/index.js';

/** What the terminal handler saw, as JSON. */
export interface Echo {
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  responseHeaders: Array<[string, string]> | null;
  strippedPrefix: string | null;
}

/** A response as the tests read it. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed echo when the request reached the end of the chain, else null. */
  echo: Echo | null;
}

/** A running test server. */
export interface TestServer {
  request(path: string, options?: { method?: string; headers?: Record<string, string> }): Promise<Reply>;
  close(): Promise<void>;
}

const terminal: Handler = (ctx) => {
  const body = JSON.stringify({
    path: ctx.path,
    query: ctx.query,
    headers: ctx.req.headers,
    responseHeaders: ctx.responseHeaders,
    strippedPrefix: ctx.strippedPrefix,
  } satisfies Echo);
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'x-echo': '1' });
  ctx.res.end(body);
};

function contextFor(req: http.IncomingMessage, res: http.ServerResponse, scheme: 'http' | 'https'): RequestContext {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const hostHeader = req.headers.host;
  return {
    req,
    res,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    // The entry point's own host normalisation, so middlewares see what they see in production.
    host: normalizeHost(hostHeader),
    scheme,
    entryPoint: 'web',
    router: 'test@internal',
    responseHeaders: null,
    strippedPrefix: null,
  };
}

/** Starts a server running `wrapper`; `scheme` is what the context claims the client used. */
export async function startServer(wrapper: MiddlewareWrapper, scheme: 'http' | 'https' = 'http'): Promise<TestServer> {
  const handler = wrapper(terminal);
  const server = http.createServer((req, res) => handler(contextFor(req, res, scheme)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    request(path, options = {}) {
      return new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
            });
            res.on('end', () => {
              const echo = res.headers['x-echo'] === '1' ? (JSON.parse(body) as Echo) : null;
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body, echo });
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A build context whose `resolve` builds from `configs`, for chain tests. */
export function buildContext(
  name: string,
  configs: Record<string, Record<string, unknown>> = {},
): MiddlewareBuildContext {
  const context: MiddlewareBuildContext = {
    name,
    resolve(other) {
      const config = configs[other];
      if (config === undefined) throw new Error(`unknown middleware ${other}`);
      return buildMiddleware(other, config, { ...context, name: other });
    },
  };
  return context;
}

/** Builds one middleware from config and starts a server running it. */
export function serve(
  config: Record<string, unknown>,
  options: { scheme?: 'http' | 'https'; configs?: Record<string, Record<string, unknown>> } = {},
): Promise<TestServer> {
  return startServer(buildMiddleware('test', config, buildContext('test', options.configs)), options.scheme);
}
