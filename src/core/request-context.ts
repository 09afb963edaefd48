/**
 * The request as every layer sees it: one context object per request, shared by the entry point,
 * the middlewares, the balancer and the forwarding engine. Here, below all of them, so that no
 * layer imports a type from a layer above it (docs/architecture.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The per-request state shared by middlewares and the proxy. One object per request. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The request path as it will be forwarded (escaped form, no query); middlewares rewrite it. */
  path: string;
  /** The raw query string without `?` ('' when absent); middlewares may rewrite it. */
  query: string;
  /** Host of the request, lower-case, without port (for rules and redirects). */
  readonly host: string;
  /** `http` or `https`, as seen by the client (for redirects and X-Forwarded-Proto). */
  readonly scheme: 'http' | 'https';
  /** The entry point that accepted the connection. */
  readonly entryPoint: string;
  /** Qualified name of the matched router. */
  router: string;
  /**
   * Response headers to add after the upstream answers, set by middlewares (e.g. `headers`).
   * An empty value removes the header. `null` when none (the common case).
   */
  responseHeaders: Array<[name: string, value: string]> | null;
  /** Prefixes removed by stripPrefix-like middlewares, for X-Forwarded-Prefix. */
  strippedPrefix: string | null;
  /** Qualified name of the load-balancer service that handled the request (statistics). */
  service?: string;
  /** URL of the upstream server the request was sent to (statistics, access log). */
  serverUrl?: string;
  /** For an `Upgrade` request: the bytes the client sent after the head (Node's `head`). */
  upgradeHead?: Buffer | null;
  /** Times the request was sent again to another server. */
  retries?: number;
  /** Set by the retry middleware: its route's budget, which the balancer's retry policy applies. */
  retry?: RetryBudget | null;
  /** Attempts made so far under the retry middleware (1 for the first). */
  attempt?: number;
  /** When the retry middleware took the request (ms since epoch), for its `timeout`. */
  retryStartedAt?: number;
  /** URLs of upstream servers that failed this request, so a retry goes to another one first. */
  failedUpstreams?: string[] | null;
  /** The user an authentication middleware accepted (basicAuth, digestAuth), for the access log. */
  user?: string;
  /** The request body read into memory (retry, mirroring), sent instead of streaming `req`. */
  bufferedBody?: Buffer | null;
  /**
   * The request body streamed from elsewhere than `req` (the buffering middleware's temporary
   * file); `req.headers` then describe it (Content-Length, no Transfer-Encoding).
   */
  bodySource?: Readable | null;
}

/**
 * The retry middleware's configuration of the retry policy for its routes (see
 * balancer/retry-policy.ts and middlewares/retry.ts).
 */
export interface RetryBudget {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /**
   * Milliseconds before the second try (0: at once); later waits grow so that the last is twice
   * the first, as Traefik's back-off does.
   */
  readonly initialInterval: number;
  /** Traefik's `status`: answers with a code in these ranges are dropped and tried again (null: none). */
  readonly statusRanges: ReadonlyArray<readonly [low: number, high: number]> | null;
  /** Traefik's `timeout` in ms (0: none): once passed since the first try, nothing is tried again. */
  readonly timeout: number;
  /** False with `disableRetryOnNetworkError`: a failed exchange is answered, never tried again. */
  readonly networkErrors: boolean;
  /** `retryNonIdempotentMethod`: status retries apply to POST, PATCH and LOCK too. */
  readonly nonIdempotent: boolean;
  /** Runs the rest of the chain again, from the middleware (the balancer sees `failedUpstreams`). */
  again(ctx: RequestContext): void;
}

/** A request handler: middlewares and, at the end of the chain, the service. */
export type Handler = (ctx: RequestContext) => void;
