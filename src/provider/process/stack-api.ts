/**
 * The stack API, served next to Switchyard's own API (`api@internal`, the dashboard entry point):
 *
 *   GET  /api/stack                              services and replicas (id, pid, port, url, state, restarts, uptime)
 *   GET  /api/stack/services/{name}              one service
 *   POST /api/stack/services/{name}/scale        body {"replicas": N} → 202 and the service
 *   POST /api/stack/replicas/{id}/stop           drain, then stop → 202
 *   POST /api/stack/replicas/{id}/start          → 202
 *
 * Changes answer 202 at once: replicas join when ready and leave after draining, and
 * `GET /api/stack` shows them on their way (`starting`, `draining`).
 */
import type { Handler, RequestContext } from '../../middlewares/types.js';
import type { ProcessProvider } from './process-provider.js';

const MAX_BODY = 4096;
const MAX_REPLICAS = 64;

function send(ctx: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  ctx.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  ctx.res.end(text);
}

function readBody(ctx: RequestContext): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    ctx.req.setEncoding('utf8');
    ctx.req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) {
        reject(new Error(`body larger than ${MAX_BODY} bytes`));
        ctx.req.destroy();
      }
    });
    ctx.req.once('end', () => resolve(body));
    ctx.req.once('error', reject);
  });
}

async function scaleRequest(ctx: RequestContext, provider: ProcessProvider, name: string): Promise<void> {
  let count: unknown;
  try {
    const body = await readBody(ctx);
    count = (JSON.parse(body || '{}') as { replicas?: unknown }).replicas;
  } catch (error) {
    return send(ctx, 400, { message: `invalid JSON body: ${(error as Error).message}` });
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_REPLICAS) {
    return send(ctx, 400, { message: `"replicas" must be an integer from 0 to ${MAX_REPLICAS}` });
  }
  send(ctx, 202, provider.scale(name, count));
}

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  send(ctx, 405, { message: `use ${allow}` }, { allow });
}

/**
 * A wrapper for the `api@internal` handler: `/api/stack…` is answered here, every other path
 * goes to the wrapped handler unchanged.
 */
export function withStackApi(provider: ProcessProvider, next: Handler): Handler {
  return (ctx) => {
    const path = ctx.path;
    if (path !== '/api/stack' && !path.startsWith('/api/stack/')) return next(ctx);
    handleStack(ctx, provider).catch((error: Error) => {
      if (!ctx.res.headersSent) send(ctx, 500, { message: error.message });
      else ctx.res.destroy();
    });
  };
}

async function handleStack(ctx: RequestContext, provider: ProcessProvider): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const parts = ctx.path.split('/').slice(3).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(ctx, 'GET');
    return send(ctx, 200, provider.view());
  }
  const [kind, name, action, extra] = parts as [string, string | undefined, string | undefined, string | undefined];
  if (kind === 'services' && name !== undefined && extra === undefined) {
    const service = provider.service(name);
    if (service === undefined) return send(ctx, 404, { message: `no such service: ${name}` });
    if (action === undefined) {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(ctx, 'GET');
      return send(ctx, 200, service);
    }
    if (action === 'scale') {
      if (method !== 'POST') return methodNotAllowed(ctx, 'POST');
      if (provider.isStopping) return send(ctx, 409, { message: 'the stack is stopping' });
      return scaleRequest(ctx, provider, name);
    }
  }
  if (kind === 'replicas' && name !== undefined && (action === 'stop' || action === 'start') && extra === undefined) {
    if (!provider.hasReplica(name)) return send(ctx, 404, { message: `no such replica: ${name}` });
    if (method !== 'POST') return methodNotAllowed(ctx, 'POST');
    if (provider.isStopping) return send(ctx, 409, { message: 'the stack is stopping' });
    if (action === 'stop') void provider.stopReplica(name);
    else void provider.startReplica(name);
    const service = provider.view().services.find((s) => s.replicas.some((r) => r.id === name));
    return send(ctx, 202, service?.replicas.find((r) => r.id === name) ?? { id: name });
  }
  send(ctx, 404, { message: `unknown stack API path ${ctx.path}` });
}
