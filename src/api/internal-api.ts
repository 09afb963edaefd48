/**
 * The internal API as an object: its routes, the dashboard handler and the Host names both answer.
 * Whoever assembles the process (src/server/create.ts) builds one and hands it to the parts that
 * add routes (`switchyard up`'s stack API, the worker pool), so no part has to find the API of
 * a Switchyard through a side table. A disabled API (no `api` section in the static
 * configuration) records nothing: `route` is a no-op, so callers never test whether it is on.
 */

import type { Handler, RequestContext } from '../core/request-context.js';
import { compileAllowedHosts, type HostFilter, hostRefusal } from './allowed-hosts.js';
import { type ApiHandler, ApiRoutes, sendJson } from './api-routes.js';
import { stateChangeRefusal } from './request-guard.js';

/** The routes of `api@internal`, the dashboard of `dashboard@internal`, and who may reach them. */
export class InternalApi {
  private readonly routes = new ApiRoutes();
  private dashboard: Handler | undefined;
  private hosts: { allowed: HostFilter; hint: string } | undefined;

  /** `enabled` is false when the static configuration has no `api` section. */
  constructor(readonly enabled: boolean) {}

  /** Adds a route (e.g. `POST /api/stack/{name}/scale`); ignored when the API is disabled. */
  route(method: string, pattern: string, handler: ApiHandler): void {
    if (this.enabled) this.routes.add(method, pattern, handler);
  }

  /** Serves the dashboard with `handler` (paths other than `/api…` on the API entry point). */
  serveDashboard(handler: Handler): void {
    if (this.enabled) this.dashboard = handler;
  }

  /**
   * Makes the API and dashboard answer only requests whose Host matches one of `patterns` (403
   * otherwise, with `hint` saying how to allow another name). Without it they answer any Host.
   */
  restrictHosts(patterns: readonly string[], hint: string): void {
    this.hosts = { allowed: compileAllowedHosts(patterns), hint };
  }

  /** Answers an `api@internal` request: refused (host, cross-site change) or routed. */
  handleApi(ctx: RequestContext): void {
    if (!this.refused(ctx, true)) this.routes.handle(ctx);
  }

  /** Answers a `dashboard@internal` request: the dashboard, else `/` → `/dashboard/`, else 404. */
  handleDashboard(ctx: RequestContext): void {
    if (this.refused(ctx, false)) return;
    if (this.dashboard !== undefined) {
      this.dashboard(ctx);
      return;
    }
    if (ctx.path === '/') {
      ctx.res.writeHead(302, { location: '/dashboard/', 'content-length': 0 });
      ctx.res.end();
      return;
    }
    sendJson(ctx, 404, { message: 'dashboard not built' });
  }

  /** Answers the request here when the host or (for API changes) its origin is refused; true then. */
  private refused(ctx: RequestContext, api: boolean): boolean {
    const hosts = this.hosts;
    const refusal =
      (hosts === undefined ? null : hostRefusal(ctx.host, hosts.allowed, hosts.hint)) ??
      (api ? stateChangeRefusal(ctx.req.method, ctx.req.headers, ctx.scheme) : null);
    if (refusal === null) return false;
    sendJson(ctx, refusal.status, { message: refusal.message });
    return true;
  }
}
