/**
 * What a middleware sees and how it is built. Chains are composed once, when the routing
 * table is built: `build(options)` returns a wrapper `(next) => handler`, so a request runs
 * through plain function calls with no per-request closures.
 */
import type { ZodType } from 'zod';
import type { Logger } from '../core/logger.js';
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
  /**
   * The handler of a service by (possibly unqualified) name, for middlewares that call one
   * themselves (`errors`). Throws an Error naming the problem when the service is unknown or
   * broken. Absent where no services exist (unit tests of other middlewares).
   */
  service?(name: string): Handler;
  /** Records a warning on the middleware (a deprecated name, an option accepted but not honoured): API, `check` and logs; it still builds. */
  warn?(message: string): void;
  /** Where a middleware logs what goes wrong at request time (an unreachable auth server). */
  logger?: Logger;
}

/** A middleware type in the registry: validate → build (→ close). */
export interface MiddlewareDefinition<Options = unknown> {
  /** The Traefik type key, e.g. `stripPrefix`. */
  readonly type: string;
  /** Validates and normalises the options once; errors carry the key path. */
  readonly schema: ZodType<Options>;
  /**
   * Options Traefik v3 still accepts but no longer honours (removed behaviours), each with what
   * to use instead: they load, and each one set is named in a warning rather than ignored silently.
   */
  readonly ignoredOptions?: Readonly<Record<string, string>>;
  build(options: Options, context: MiddlewareBuildContext): MiddlewareWrapper;
}
