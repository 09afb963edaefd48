/**
 * The internal services: `api@internal` (Traefik-compatible JSON API plus the live stream),
 * `dashboard@internal`, `ping@internal` and `prometheus@internal`. The API's routes, dashboard
 * and allowed hosts live in an InternalApi (internal-api.ts) that the process's assembler
 * (server/create.ts) builds and hands to whoever adds routes. State-changing API requests must
 * be same-origin JSON (request-guard.ts).
 */
import type { StaticWarning } from '../config/static-loader.js';
import type { StaticConfiguration } from '../config/static-schema.js';
import type { Handler } from '../core/request-context.js';
import type { Telemetry } from '../metrics/telemetry.js';
import { RestProvider } from '../provider/rest/rest-provider.js';
import type { PendingObject } from '../server/runtime.js';
import { OBJECT_SECTIONS } from '../server/sections.js';
import { noopHandler } from '../server/services/noop.js';
import type { Switchyard } from '../server/switchyard.js';
import { STARTED_AT, VERSION } from '../version.js';
import { ApiError, readJsonBody, sendJson } from './api-routes.js';
import { listedCertificates } from './certificates.js';
import { explainQuery, explainRequest } from './explain.js';
import type { InternalApi } from './internal-api.js';
import { listResponse } from './list-query.js';
import { LiveStream } from './live-stream.js';
import { listedPending, pendingView } from './pending-views.js';
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
export { InternalApi } from './internal-api.js';

/** The names of the internal services, as routers refer to them. */
export const INTERNAL_SERVICE_NAMES = [
  'api@internal',
  'dashboard@internal',
  'ping@internal',
  'prometheus@internal',
  'noop@internal',
  'rest@internal',
] as const;

/** One of the internal services' names. */
export type InternalServiceName = (typeof INTERNAL_SERVICE_NAMES)[number];

/**
 * The internal services this static configuration offers: `api@internal` and
 * `dashboard@internal` exist only with an `api` section (and `api.dashboard`), as in Traefik,
 * so a router naming them otherwise is reported instead of answering 404 to everything.
 */
export function offeredInternalServices(config: StaticConfiguration): InternalServiceName[] {
  return INTERNAL_SERVICE_NAMES.filter((name) => {
    if (name === 'api@internal') return config.api !== undefined;
    if (name === 'dashboard@internal') return config.api?.dashboard === true;
    if (name === 'rest@internal') return config.providers.rest !== undefined;
    return true;
  });
}

function configurationView(app: Switchyard, staticWarnings: readonly StaticWarning[]): ConfigurationView {
  return {
    staticWarnings: () => staticWarnings,
    get runtime() {
      return app.runtime;
    },
    upstreams: app.upstreams,
    providerNames: () => app.options.providers.map((p) => p.name),
    failures: () => [...app.watcher.failures.values()],
  };
}

/** Builds the handlers of the internal services for a running Switchyard, adding the API's routes to `api`. */
export function createInternalServices(
  app: Switchyard,
  config: StaticConfiguration,
  telemetry: Telemetry,
  api: InternalApi,
  staticWarnings: readonly StaticWarning[] = [],
): Map<string, Handler> {
  telemetry.attach(app);
  const view = configurationView(app, staticWarnings);
  const stream = new LiveStream();
  telemetry.live.subscribe((event) => {
    // Streams never end by themselves; ending them lets the entry points drain on shutdown.
    if (app.stopping) stream.closeAll();
    else stream.broadcast('stats', event);
  });
  app.onReload(() => stream.broadcast('config', overview(view, config)));
  // A server going UP or DOWN reaches the dashboard at once, not at the next `stats` tick.
  const unlisten = app.upstreams.events.on((change) => {
    if (app.stopping) return;
    stream.broadcast('server', { url: change.url, health: change.available ? 'UP' : 'DOWN', cause: change.cause });
  });
  app.onStop(unlisten);

  const find = <T>(kind: string, name: string, object: T | undefined): T => {
    if (object === undefined) throw new ApiError(404, `${kind} not found: ${name}`);
    return object;
  };
  api.route('GET', '/api/version', () => ({ Version: VERSION, Codename: 'switchyard', startDate: STARTED_AT }));
  api.route('GET', '/api/overview', () => overview(view, config));
  api.route('GET', '/api/rawdata', () => rawData(view));
  api.route('GET', '/api/providers/failures', () => [...app.watcher.failures.values()]);
  api.route('GET', '/api/entrypoints', ({ query }) =>
    listResponse(
      Object.entries(config.entryPoints).map(([name, entry]) => ({
        name,
        status: 'enabled',
        view: entryPointView(name, entry, app.entryPoints.get(name)?.tls.counters),
      })),
      query,
    ),
  );
  api.route('GET', '/api/entrypoints/{name}', ({ params }) => {
    const name = params.name as string;
    return entryPointView(
      name,
      find('entry point', name, config.entryPoints[name]),
      app.entryPoints.get(name)?.tls.counters,
    );
  });
  api.route('GET', '/api/http/routers', ({ query }) => listResponse(listedRouters(view), query));
  api.route('GET', '/api/http/routers/{name}', ({ params }) =>
    routerView(find('router', params.name as string, app.runtime.routers.get(params.name as string))),
  );
  api.route('GET', '/api/http/services', ({ query }) => listResponse(listedServices(view), query));
  api.route('GET', '/api/http/services/{name}', ({ params }) => {
    const name = params.name as string;
    const service = allServices(app.runtime).find((s) => s.name === name);
    return serviceView(find('service', name, service), app.upstreams);
  });
  api.route('GET', '/api/http/middlewares', ({ query }) => listResponse(listedMiddlewares(view), query));
  api.route('GET', '/api/http/middlewares/{name}', ({ params }) =>
    middlewareView(find('middleware', params.name as string, app.runtime.middlewares.get(params.name as string))),
  );
  // TCP and UDP: shown (each with its "not implemented yet" warning) until their protocols land.
  for (const { root: protocol, section, pendingKind: kind, objects: sectionObjects } of OBJECT_SECTIONS) {
    if (kind === undefined) continue;
    // The sections with a pending kind are TCP and UDP ones: their objects are pending objects.
    const objects = () => sectionObjects(app.runtime) as Map<string, PendingObject>;
    api.route('GET', `/api/${protocol}/${section}`, ({ query }) =>
      listResponse(listedPending(objects().values(), kind, app.upstreams), query),
    );
    api.route('GET', `/api/${protocol}/${section}/{name}`, ({ params }) => {
      const name = params.name as string;
      const object = find(`${protocol.toUpperCase()} ${kind}`, name, objects().get(name));
      return pendingView(object, kind !== 'router', app.upstreams);
    });
  }
  const certificates = () =>
    listedCertificates(app.certificates, app.runtime, app.table, Object.keys(config.entryPoints));
  api.route('GET', '/api/certificates', ({ query }) => listResponse(certificates(), query));
  api.route('GET', '/api/certificates/{name}', ({ params }) => {
    const name = params.name as string;
    return find(
      'certificate',
      name,
      certificates().find((c) => c.name === name),
    ).view;
  });
  // Automatic HTTPS: per certificate of each resolver (Switchyard's; Traefik has no such route).
  api.route(
    'GET',
    '/api/acme',
    () => app.options.acme?.status?.() ?? { resolvers: [], storageErrors: [], certificates: [] },
  );
  api.route('GET', '/api/explain', ({ query }) => {
    const request = explainQuery(query);
    // The configured entry points: with --workers some listen in the workers, not here.
    const names = Object.keys(config.entryPoints);
    if (request.entryPoint !== null) find('entry point', request.entryPoint, config.entryPoints[request.entryPoint]);
    return explainRequest(app.runtime, request.entryPoint === null ? names : [request.entryPoint], request);
  });
  api.route('GET', '/api/stats', () => ({ ...telemetry.live.current(), history: telemetry.live.history() }));
  api.route('GET', '/api/live', ({ ctx }) => {
    stream.open(ctx, [
      ['config', overview(view, config)],
      ['stats', telemetry.live.current()],
    ]);
    return undefined;
  });

  const terminating = config.ping?.terminatingStatusCode ?? 503;
  const handlers: Record<InternalServiceName, Handler> = {
    'api@internal': (ctx) => api.handleApi(ctx),
    'ping@internal': (ctx) => {
      const status = app.stopping ? terminating : 200;
      const body = status === 200 ? 'OK' : 'Service Unavailable';
      ctx.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
      ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
    },
    'dashboard@internal': (ctx) => api.handleDashboard(ctx),
    'noop@internal': noopHandler,
    'rest@internal': restHandler(app.options.providers.find((p): p is RestProvider => p instanceof RestProvider)),
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
  return new Map<string, Handler>(offeredInternalServices(config).map((name) => [name, handlers[name]]));
}

/**
 * rest@internal, as Traefik's: `PUT /api/providers/rest` with a JSON dynamic configuration
 * replaces the REST provider's configuration and echoes it; another provider name is 400,
 * another method 405, another path 404.
 */
function restHandler(provider: RestProvider | undefined): Handler {
  return (ctx) => {
    const match = /^\/api\/providers\/([^/]+)\/?$/.exec(ctx.path);
    if (match === null) return sendJson(ctx, 404, { message: 'not found' });
    if (ctx.req.method !== 'PUT') {
      return sendJson(ctx, 405, { message: 'method not allowed: use PUT' }, { allow: 'PUT' });
    }
    if (match[1] !== 'rest' || provider === undefined) {
      return sendJson(ctx, 400, { message: "Only 'rest' provider can be updated through the REST API" });
    }
    readJsonBody(ctx, 16 << 20).then(
      (body) => {
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          return sendJson(ctx, 400, { message: 'the body must be a JSON object (a dynamic configuration)' });
        }
        const { config } = provider.put(body);
        sendJson(ctx, 200, config);
      },
      (error: unknown) => {
        const status = error instanceof ApiError ? error.status : 400;
        sendJson(ctx, status, { message: (error as Error).message });
      },
    );
  };
}
