/**
 * The internal services: `api@internal` (Traefik-compatible JSON API), `dashboard@internal`,
 * `ping@internal`, `prometheus@internal`. Minimal first version; the full API lives in this folder.
 */
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Handler, RequestContext } from '../middlewares/types.js';
import type { RuntimeObject } from '../server/runtime.js';
import type { Switchyard } from '../server/switchyard.js';
import { STARTED_AT, VERSION } from '../version.js';

function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  ctx.res.end(text);
}

function view(object: RuntimeObject<unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(object.config as object), ...extra };
  out.status = object.status;
  if (object.errors.length > 0) out.error = object.errors;
  if (object.usedBy.length > 0) out.usedBy = object.usedBy;
  out.name = object.name;
  out.provider = object.provider;
  return out;
}

/** Builds the handlers of the internal services for a running Switchyard. */
export function createInternalServices(app: Switchyard, config: StaticConfiguration): Map<string, Handler> {
  const services = new Map<string, Handler>();
  services.set('api@internal', (ctx) => {
    const runtime = app.runtime;
    const path = ctx.path;
    if (path === '/api/version')
      return sendJson(ctx, 200, { Version: VERSION, Codename: 'switchyard', startDate: STARTED_AT });
    if (path === '/api/http/routers') {
      return sendJson(
        ctx,
        200,
        [...runtime.routers.values()].map((r) => view(r, { using: r.using, priority: r.priority })),
      );
    }
    if (path === '/api/http/services')
      return sendJson(
        ctx,
        200,
        [...runtime.services.values()].map((s) => view(s)),
      );
    if (path === '/api/http/middlewares')
      return sendJson(
        ctx,
        200,
        [...runtime.middlewares.values()].map((m) => view(m)),
      );
    if (path === '/api/entrypoints') {
      return sendJson(
        ctx,
        200,
        Object.entries(config.entryPoints).map(([name, e]) => ({ name, address: e.address })),
      );
    }
    return sendJson(ctx, 404, { message: `unknown API path ${path}` });
  });
  services.set('ping@internal', (ctx) => {
    ctx.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 2 });
    ctx.res.end('OK');
  });
  services.set('dashboard@internal', (ctx) => {
    if (ctx.path === '/') {
      ctx.res.writeHead(302, { location: '/dashboard/', 'content-length': 0 });
      ctx.res.end();
      return;
    }
    sendJson(ctx, 404, { message: 'dashboard not built' });
  });
  return services;
}
