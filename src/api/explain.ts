/**
 * `/api/explain?url=…&method=…[&header=Name:%20value]…[&entryPoint=web]`: which router would
 * take a request, and for every router tried before it, why its rule did not match. Same
 * evaluation as `switchyard explain` (src/server/explain-request.ts), returned as data.
 */
import { parseHeaderArgs } from '../server/explain-request.js';
import { ApiError } from './api-routes.js';

export { type EntryPointVerdict, type ExplainedRouter, explainRequest } from '../server/explain-request.js';

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
  return {
    method: (query.get('method') ?? 'GET').toUpperCase(),
    url,
    headers: parseHeaderArgs(query.getAll('header')),
    remoteAddress: query.get('from') ?? '127.0.0.1',
    entryPoint: query.get('entryPoint'),
  };
}
