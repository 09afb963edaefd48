/// <reference lib="dom" />
/** Requests to the proxy's JSON API. */

/** An HTTP answer other than 2xx. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GETs JSON; throws `HttpError` on a non-2xx answer and `TypeError` when the proxy is unreachable. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store', signal });
  if (!res.ok) throw new HttpError(res.status, `${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** GETs JSON, or `fallback` when the endpoint does not exist (404/405/501). */
export async function getOptional<T>(path: string, fallback: T): Promise<T> {
  try {
    return await getJson<T>(path);
  } catch (error) {
    if (error instanceof HttpError && [404, 405, 501].includes(error.status)) return fallback;
    throw error;
  }
}

/** POSTs JSON and returns the decoded answer (or the text when not JSON); throws on non-2xx with the body. */
export async function postJson(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let decoded: unknown = text;
  try {
    decoded = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  if (!res.ok) {
    const message =
      decoded && typeof decoded === 'object' && 'message' in decoded ? String(decoded.message) : text || res.statusText;
    throw new HttpError(res.status, message);
  }
  return decoded;
}
