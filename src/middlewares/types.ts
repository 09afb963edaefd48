/**
 * What a middleware sees and how it is built. Chains are composed once, when the routing
 * table is built: `build(options)` returns a wrapper `(next) => handler`, so a request runs
 * through plain function calls with no per-request closures.
 */
import type { ZodType } from 'zod';
import type { Handler, RequestContext, RetryBudget } from '../core/request-context.js';

export type { Handler, RequestContext, RetryBudget };

/** A built middleware: wraps the next handler. */
export type MiddlewareWrapper = (next: Handler) => Handler;

/** What a middleware factory may ask for when it is built. */
export interface MiddlewareBuildContext {
  /** Qualified name of the middleware being built (`strip@file`). */
  name: string;
  /** Builds another middleware by (possibly unqualified) name, for `chain`. Throws if unknown. */
  resolve(name: string): MiddlewareWrapper;
  /** Reports a remark about the options that does not stop the middleware (a warning on it). */
  warn?(message: string): void;
}

/** A middleware type in the registry: validate → build (→ close). */
export interface MiddlewareDefinition<Options = unknown> {
  /** The Traefik type key, e.g. `stripPrefix`. */
  readonly type: string;
  /** Validates and normalises the options once; errors carry the key path. */
  readonly schema: ZodType<Options>;
  build(options: Options, context: MiddlewareBuildContext): MiddlewareWrapper;
}
