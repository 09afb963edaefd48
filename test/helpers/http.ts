/** Small HTTP client helpers for tests: real sockets, whole responses, polling with a deadline. */
import { type Agent, request } from 'node:http';

/** A whole response. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

/** Options of `send`. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  agent?: Agent | false;
  /** Request target as sent on the wire, when it differs from the URL's path (absolute form…). */
  path?: string;
}

/** Sends one request and collects the whole response. */
export function send(url: string, options: SendOptions = {}): Promise<TestResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: body.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends a request and parses the JSON body. */
export async function sendJson<T = Record<string, unknown>>(
  url: string,
  options: SendOptions = {},
): Promise<{ status: number; json: T; response: TestResponse }> {
  const response = await send(url, options);
  return { status: response.status, json: JSON.parse(response.text) as T, response };
}

/** Polls `probe` until it returns a truthy value or the deadline passes (then throws with the last error). */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  { timeout = 5000, interval = 25, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(
    `timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
