/**
 * `/api/explain?url=…&method=…[&header=Name:%20value]…[&entryPoint=web]`: which router would
 * take a request, and for every router tried before it, why its rule did not match. Same
 * evaluation as `switchyard explain` (routers in priority order per entry point, rules through
 * the rule package's `explainRule`), returned as data for the dashboard.
 */
import { compileRuleMatcher, explainRule, type RuleExplanation, toMatchInput } from '../rules/index.js';
import { qualify, type RuntimeConfiguration } from '../server/runtime.js';
import { ApiError } from './api-routes.js';

/** One router tried on an entry point. */
export interface ExplainedRouter {
  name: string;
  priority: number;
  rule: string;
  matched: boolean;
  explanation: RuleExplanation;
}

/** The verdict on one entry point. */
export interface EntryPointVerdict {
  entryPoint: string;
  /** The router that takes the request, or null (404). */
  router: string | null;
  middlewares: string[];
  service: string | null;
  /** Routers in the order they were tried, up to and including the match. */
  tried: ExplainedRouter[];
}

/** Explains a request against the runtime configuration on the given entry points. */
export function explainRequest(
  runtime: RuntimeConfiguration,
  entryPoints: readonly string[],
  request: { method: string; url: string; headers: Record<string, string>; remoteAddress: string },
): { method: string; host: string; path: string; entryPoints: EntryPointVerdict[] } {
  const url = request.url.startsWith('/') ? new URL(request.url, 'http://localhost') : new URL(request.url);
  const input = toMatchInput({
    method: request.method,
    url: `${url.pathname}${url.search}`,
    headers: { host: url.host, ...request.headers },
    remoteAddress: request.remoteAddress,
  });
  const verdicts = entryPoints.map((entryPoint): EntryPointVerdict => {
    const routers = [...runtime.routers.values()]
      .filter((r) => r.using.includes(entryPoint) && r.status !== 'disabled')
      .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
    const tried: ExplainedRouter[] = [];
    for (const router of routers) {
      const rule = router.config?.rule ?? '';
      const explanation = explainRule(compileRuleMatcher(rule), input);
      tried.push({ name: router.name, priority: router.priority, rule, matched: explanation.matched, explanation });
      if (!explanation.matched) continue;
      return {
        entryPoint,
        router: router.name,
        middlewares: (router.config?.middlewares ?? []).map((m) => qualify(m, router.provider)),
        service: router.config?.service === undefined ? null : qualify(router.config.service, router.provider),
        tried,
      };
    }
    return { entryPoint, router: null, middlewares: [], service: null, tried };
  });
  return { method: request.method, host: input.host, path: input.path, entryPoints: verdicts };
}

/** Reads the explain query parameters; throws a 400 ApiError when `url` is missing or invalid. */
export function explainQuery(query: URLSearchParams): {
  method: string;
  url: string;
  headers: Record<string, string>;
  remoteAddress: string;
  entryPoint: string | null;
} {
  const url = query.get('url');
  if (url === null || url === '') throw new ApiError(400, 'missing url parameter');
  if (!url.startsWith('/') && !URL.canParse(url)) throw new ApiError(400, `invalid url ${JSON.stringify(url)}`);
  const headers: Record<string, string> = {};
  for (const header of query.getAll('header')) {
    const colon = header.indexOf(':');
    if (colon > 0) headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  return {
    method: (query.get('method') ?? 'GET').toUpperCase(),
    url,
    headers,
    remoteAddress: query.get('from') ?? '127.0.0.1',
    entryPoint: query.get('entryPoint'),
  };
}
