/**
 * `noop@internal`: Traefik's internal service that does nothing, for routers whose middlewares
 * answer themselves (a redirection): it answers 418 with an empty body. Stateless, so the
 * primary and every worker serve it alike.
 */
import type { Handler } from '../../core/request-context.js';

/** The name routers use. */
export const NOOP_SERVICE = 'noop@internal';

/** Answers 418 with no body, as Traefik's noop handler (`WriteHeader(http.StatusTeapot)`). */
export const noopHandler: Handler = (ctx) => {
  ctx.res.writeHead(418, { 'content-length': 0 });
  ctx.res.end();
};
