/**
 * The internal services: `api@internal` (Traefik-compatible JSON API plus the live stream),
 * `dashboard@internal`, `ping@internal` and `prometheus@internal`. Other parts of Switchyard
 * add API routes with `registerApiRoute(app, …)` and the dashboard with `setDashboardHandler`.
 * State-changing API requests must be same-origin JSON (request-guard.ts); `restrictApiHosts`
 * limits the Host names the API and dashboard answer to (allowed-hosts.ts).
 */
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Telemetry } from '../metrics/telemetry.js';
import type { Handler, RequestContext } from '../middlewares/types.js';
import type { Switchyard } from '../server/switchyard.js';
import { STARTED_AT, VERSION } from '../version.js';
import { compileAllowedHosts, type HostFilter, hostRefusal } from './allowed-hosts.js';
import { ApiError, type ApiHandler, ApiRoutes, sendJson } from './api-routes.js';
import { explainQuery, explainRequest } from './explain.js';
import { listResponse } from './list-query.js';
import { LiveStream } from './live-stream.js';
import { stateChangeRefusal } from './request-guard.js';
import {
  allServices,
  type ConfigurationView,
  entryPointView,
  listedMiddlewares,
  listedRouters,
  listedServices,
  middlewareView,
  overview,
  rawData,
  routerView,
  serviceView,
} from './views.js';

export { LOCAL_HOSTS } from './allowed-hosts.js';
export { ApiError, type ApiHandler, ApiResponse, readJsonBody } from './api-routes.js';

/** The names of the internal services, as routers refer to them. */
export const INTERNAL_SERVICE_NAMES = [
  'api@internal',
  'dashboard@internal',
  'ping@internal',
  'prometheus@internal',
] as const;

/** One of the internal services' names. */
export type InternalServiceName = (typeof INTERNAL_SERVICE_NAMES)[number];

const routesByApp = new WeakMap<Switchyard, ApiRoutes>();
const dashboards = new WeakMap<Switchyard, Handler>();
const hostRestrictions = new WeakMap<Switchyard, { allowed: HostFilter; hint: string }>();

/** Adds an API route to a Switchyard's `api@internal` (e.g. `POST /api/stack/{name}/scale`). */
export function registerApiRoute(app: Switchyard, method: string, pattern: string, handler: ApiHandler): void {
  const routes = routesByApp.get(app);
  if (routes === undefined) throw new Error('this Switchyard has no internal API');
  routes.add(method, pattern, handler);
}

/** Serves the dashboard with `handler` (paths other than `/api…` on the API entry point). */
export function setDashboardHandler(app: Switchyard, handler: Handler): void {
  dashboards.set(app, handler);
}

/**
 * Makes the API and dashboard answer only requests whose Host matches one of `patterns` (403
 * otherwise, with `hint` saying how to allow another name). Without it they answer any Host.
 */
export function restrictApiHosts(app: Switchyard, patterns: readonly string[], hint: string): void {
  hostRestrictions.set(app, { allowed: compileAllowedHosts(patterns), hint });
}

function configurationView(app: Switchyard): ConfigurationView {
  return {
    get runtime() {
      return app.runtime;
    },
    upstreams: app.upstreams,
    providerNames: () => app.options.providers.map((p) => p.name),
    failures: () => [...app.watcher.failures.values()],
  };
}

/** Builds the handlers of the internal services for a running Switchyard. */
export function createInternalServices(
  app: Switchyard,
  config: StaticConfiguration,
  telemetry: Telemetry,
): Map<string, Handler> {
  telemetry.attach(app);
  const view = configurationView(app);
  const routes = new ApiRoutes();
  routesByApp.set(app, routes);
  const stream = new LiveStream();
  telemetry.live.subscribe((event) => {
    // Streams never end by themselves; ending them lets the entry points drain on shutdown.
    if (app.stopping) stream.closeAll();
    else stream.broadcast('stats', event);
  });
  app.onReload(() => stream.broadcast('config', overview(view, config)));

  const find = <T>(kind: string, name: string, object: T | undefined): T => {
    if (object === undefined) throw new ApiError(404, `${kind} not found: ${name}`);
    return object;
  };
  routes.add('GET', '/api/version', () => ({ Version: VERSION, Codename: 'switchyard', startDate: STARTED_AT }));
  routes.add('GET', '/api/overview', () => overview(view, config));
  routes.add('GET', '/api/rawdata', () => rawData(view));
  routes.add('GET', '/api/providers/failures', () => [...app.watcher.failures.values()]);
  routes.add('GET', '/api/entrypoints', ({ query }) =>
    listResponse(
      Object.entries(config.entryPoints).map(([name, entry]) => ({
        name,
        status: 'enabled',
        view: entryPointView(name, entry),
      })),
      query,
    ),
  );
  routes.add('GET', '/api/entrypoints/{name}', ({ params }) => {
    const name = params.name as string;
    return entryPointView(name, find('entry point', name, config.entryPoints[name]));
  });
  routes.add('GET', '/api/http/routers', ({ query }) => listResponse(listedRouters(view), query));
  routes.add('GET', '/api/http/routers/{name}', ({ params }) =>
    routerView(find('router', params.name as string, app.runtime.routers.get(params.name as string))),
  );
  routes.add('GET', '/api/http/services', ({ query }) => listResponse(listedServices(view), query));
  routes.add('GET', '/api/http/services/{name}', ({ params }) => {
    const name = params.name as string;
    const service = allServices(app.runtime).find((s) => s.name === name);
    return serviceView(find('service', name, service), app.upstreams);
  });
  routes.add('GET', '/api/http/middlewares', ({ query }) => listResponse(listedMiddlewares(view), query));
  routes.add('GET', '/api/http/middlewares/{name}', ({ params }) =>
    middlewareView(find('middleware', params.name as string, app.runtime.middlewares.get(params.name as string))),
  );
  routes.add('GET', '/api/explain', ({ query }) => {
    const request = explainQuery(query);
    // The configured entry points: with --workers some listen in the workers, not here.
    const names = Object.keys(config.entryPoints);
    if (request.entryPoint !== null) find('entry point', request.entryPoint, config.entryPoints[request.entryPoint]);
    return explainRequest(app.runtime, request.entryPoint === null ? names : [request.entryPoint], request);
  });
  routes.add('GET', '/api/stats', () => ({ ...telemetry.live.current(), history: telemetry.live.history() }));
  routes.add('GET', '/api/live', ({ ctx }) => {
    stream.open(ctx, [
      ['config', overview(view, config)],
      ['stats', telemetry.live.current()],
    ]);
    return undefined;
  });

  /** Answers the request here when the host or (for API changes) its origin is refused; true then. */
  const refused = (ctx: RequestContext, api: boolean): boolean => {
    const restriction = hostRestrictions.get(app);
    const refusal =
      (restriction === undefined ? null : hostRefusal(ctx.host, restriction.allowed, restriction.hint)) ??
      (api ? stateChangeRefusal(ctx.req.method, ctx.req.headers, ctx.scheme) : null);
    if (refusal === null) return false;
    sendJson(ctx, refusal.status, { message: refusal.message });
    return true;
  };

  const terminating = config.ping?.terminatingStatusCode ?? 503;
  const handlers: Record<InternalServiceName, Handler> = {
    'api@internal': (ctx) => {
      if (!refused(ctx, true)) routes.handle(ctx);
    },
    'ping@internal': (ctx) => {
      const status = app.stopping ? terminating : 200;
      const body = status === 200 ? 'OK' : 'Service Unavailable';
      ctx.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
      ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
    },
    'dashboard@internal': (ctx) => {
      if (refused(ctx, false)) return;
      const dashboard = dashboards.get(app);
      if (dashboard !== undefined) return dashboard(ctx);
      if (ctx.path === '/') {
        ctx.res.writeHead(302, { location: '/dashboard/', 'content-length': 0 });
        ctx.res.end();
        return;
      }
      sendJson(ctx, 404, { message: 'dashboard not built' });
    },
    'prometheus@internal': (ctx) => {
      const registry = telemetry.prometheus;
      if (registry === null) return sendJson(ctx, 404, { message: 'metrics.prometheus is not enabled' });
      registry.metrics().then(
        (text) => {
          ctx.res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
          ctx.res.end(text);
        },
        (error: Error) => sendJson(ctx, 500, { message: error.message }),
      );
    },
  };
  return new Map<string, Handler>(INTERNAL_SERVICE_NAMES.map((name) => [name, handlers[name]]));
}
