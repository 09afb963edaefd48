/**
 * Traefik's list parameters: `search` (case-insensitive substring of the name, and of the
 * rule for routers), `status`, `serviceName`, `middlewareName`, and pagination with `page`,
 * `per_page` (default 100) and the `X-Next-Page` header (1 on the last page, as Traefik does).
 */
import { localName } from '../core/names.js';
import { ApiError, ApiResponse } from './api-routes.js';

/** Default page size, Traefik's. */
export const DEFAULT_PER_PAGE = 100;

/** An item with what the filters look at. */
export interface Listed {
  name: string;
  status: string;
  /** Other text `search` looks in (a router's rule). */
  searchAlso?: string;
  /** Qualified service of a router. */
  service?: string;
  /** Qualified middlewares of a router. */
  middlewares?: readonly string[];
  view: unknown;
}

/** Filters, sorts by name and paginates; answers with the page and `X-Next-Page`. */
export function listResponse(items: Listed[], query: URLSearchParams): ApiResponse {
  const search = (query.get('search') ?? '').toLowerCase();
  const status = query.get('status') ?? '';
  const serviceName = query.get('serviceName') ?? '';
  const middlewareName = query.get('middlewareName') ?? '';
  const kept = items
    .filter((item) => {
      if (
        search !== '' &&
        !item.name.toLowerCase().includes(search) &&
        !(item.searchAlso ?? '').toLowerCase().includes(search)
      ) {
        return false;
      }
      if (status !== '' && item.status !== status) return false;
      if (serviceName !== '' && !sameName(item.service, serviceName)) return false;
      if (middlewareName !== '' && !(item.middlewares ?? []).some((m) => sameName(m, middlewareName))) return false;
      return true;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const perPage = positiveInt(query, 'per_page', DEFAULT_PER_PAGE);
  const page = positiveInt(query, 'page', 1);
  const start = (page - 1) * perPage;
  if (start !== 0 && start >= kept.length) {
    throw new ApiError(400, `invalid request: page: ${page}, per_page: ${perPage}`);
  }
  const nextPage = page * perPage < kept.length ? page + 1 : 1;
  return new ApiResponse(
    kept.slice(start, start + perPage).map((item) => item.view),
    200,
    { 'x-next-page': String(nextPage) },
  );
}

/** `api@internal` matches `api@internal`; an unqualified filter matches any provider. */
function sameName(qualified: string | undefined, filter: string): boolean {
  if (qualified === undefined) return false;
  if (filter.includes('@')) return qualified === filter;
  return localName(qualified) === filter;
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ApiError(400, `invalid request: ${name}: ${text}`);
  return value;
}
