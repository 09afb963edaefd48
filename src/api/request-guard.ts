/**
 * Which requests may change state through `api@internal` (scale, stop, start…). A web page the
 * user visits can send "simple" cross-site requests (a form, or `fetch` with `text/plain`) that
 * the browser does not preflight; requiring `Content-Type: application/json` forces a CORS
 * preflight the API never grants, and the `Origin`/`Sec-Fetch-Site` checks refuse what a browser
 * labels as coming from another site. Requests without those headers (curl, scripts) pass.
 * Reads (GET, HEAD) and OPTIONS are not checked: they change nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why a request is refused: the status to answer and a message for the JSON body. */
export interface Refusal {
  status: number;
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What browsers put in `Sec-Fetch-Site` for the page's own origin and for a user-typed URL. */
const SAME_SITE_FETCH = new Set(['same-origin', 'none']);

/** Whether a method may change state (anything but GET, HEAD and OPTIONS). */
export function changesState(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

/** The origin (`scheme://host[:port]`, default port dropped) as the client addressed us, or null without a usable Host. */
export function requestOrigin(scheme: string, hostHeader: string | undefined): string | null {
  if (hostHeader === undefined || hostHeader.trim() === '') return null;
  return originOf(`${scheme}://${hostHeader.trim()}`);
}

function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    // `null`, `file:`, `data:`… have an opaque origin: never the API's own.
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks a state-changing request: same origin first (403), then a JSON body type (415).
 * Returns null when it may go on. `scheme` is how the client reached us (`http`).
 */
export function stateChangeRefusal(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  scheme: string,
): Refusal | null {
  if (!changesState(method)) return null;
  const origin = single(headers.origin);
  if (origin !== undefined) {
    const own = requestOrigin(scheme, single(headers.host));
    if (own === null || originOf(origin.trim()) !== own) {
      return {
        status: 403,
        message: `cross-origin request refused: Origin ${JSON.stringify(origin)} is not this API's origin (${own ?? 'unknown'}); state-changing API requests must come from the API's own origin`,
      };
    }
  }
  const fetchSite = single(headers['sec-fetch-site']);
  if (fetchSite !== undefined && !SAME_SITE_FETCH.has(fetchSite.trim().toLowerCase())) {
    return {
      status: 403,
      message: `cross-site request refused: Sec-Fetch-Site is ${JSON.stringify(fetchSite)}; state-changing API requests must come from the API's own origin`,
    };
  }
  const contentType = single(headers['content-type']);
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return {
      status: 415,
      message: `state-changing API requests need Content-Type: application/json (got ${contentType === undefined ? 'none' : JSON.stringify(contentType)})`,
    };
  }
  return null;
}
