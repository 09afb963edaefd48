/**
 * plugin: runs a local JavaScript plugin (plugin-host.ts, docs/plugins.md) as a middleware,
 * `http.middlewares.<m>.plugin.<name>.<option>` as in Traefik. At build, the options are merged
 * into the plugin's `createConfig()` and its `create(next, config, name)` gives a Node-style
 * handler `(req, res)`; per request, the handler gets the request's own `IncomingMessage` and
 * `ServerResponse`, so header changes on `req` reach the server and writes on `res` reach the
 * client, and `next(req, res)` runs the rest of the chain. What a plugin throws (at build or per
 * request, synchronously or as a rejected promise) is its middleware's error or a 500 for that
 * request, logged; it never reaches the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { caughtAtBoundary } from '../core/last-resort.js';
import { sendError } from '../proxy/responses.js';
import { declaredPlugins, findPlugin, type PluginHandler, pluginLog } from './plugin-host.js';
import { captureHead, type WriteHead, writeCapturedHead } from './response-head.js';
import type { Handler, MiddlewareDefinition, RequestContext } from './types.js';

const schema = z
  .record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null(), z.literal('')]))
  .refine((value) => Object.keys(value).length === 1, 'a plugin middleware names exactly one plugin');

/** Validated plugin options: `{ <plugin name>: { <option>: value } }`. */
export type PluginOptions = z.output<typeof schema>;

/**
 * The plugin's defaults with the configured options laid over them. Keys match the defaults'
 * case-insensitively and strings (labels, flags) take the type of the default they replace,
 * as Traefik's decoding of plugin options does for Go structs.
 */
export function mergeConfig(defaults: unknown, options: unknown): unknown {
  if (options === undefined) return defaults;
  if (isPlainObject(defaults) && isPlainObject(options)) {
    const out: Record<string, unknown> = { ...defaults };
    const byLower = new Map(Object.keys(defaults).map((key) => [key.toLowerCase(), key]));
    for (const [key, value] of Object.entries(options)) {
      const target = key in defaults ? key : (byLower.get(key.toLowerCase()) ?? key);
      out[target] = mergeConfig(defaults[target], value);
    }
    return out;
  }
  if (typeof options === 'string') {
    if (typeof defaults === 'number' && options.trim() !== '' && Number.isFinite(Number(options)))
      return Number(options);
    if (typeof defaults === 'boolean' && /^(true|false)$/i.test(options.trim()))
      return options.trim().toLowerCase() === 'true';
    if (Array.isArray(defaults)) {
      return options
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }
  }
  return options;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One request handed to a plugin: where `next(req, res)` continues. */
class Call {
  done = false;
  constructor(
    readonly ctx: RequestContext,
    readonly next: Handler,
    readonly url: string | undefined,
  ) {}
}

type Carrier = { [key: symbol]: Call | undefined };

/** One built plugin middleware. */
class PluginInstance {
  /** Own key per instance, so a chain may use one plugin twice. */
  readonly key = Symbol('switchyard.plugin');
  handler: PluginHandler = () => undefined;

  constructor(readonly name: string) {}

  /** The `next` handed to the plugin's `create`: runs the rest of the chain for this request. */
  readonly pluginNext = (req: unknown, res: unknown): void => {
    const call = (req as Carrier | null)?.[this.key] ?? (res as Carrier | null)?.[this.key];
    // Unknown objects, or a second call: nothing more to run.
    if (call === undefined || call.done) return;
    call.done = true;
    const ctx = call.ctx;
    if (ctx.res.writableEnded) return;
    if (ctx.req.url !== call.url) followUrl(ctx, ctx.req.url ?? '/');
    if (ctx.res.getHeaderNames().length > 0) keepHeadWhole(ctx.res);
    try {
      call.next(ctx);
    } catch (thrown) {
      // The rest of the chain is not the plugin's; a plugin calling next from a timer must not
      // let it reach the process either.
      caughtAtBoundary(thrown, 'middleware chain after a plugin');
      sendError(ctx.res, 500);
    }
  };

  run(next: Handler, ctx: RequestContext): void {
    const call = new Call(ctx, next, ctx.req.url);
    (ctx.req as unknown as Carrier)[this.key] = call;
    (ctx.res as unknown as Carrier)[this.key] = call;
    let result: unknown;
    try {
      result = this.handler(ctx.req as IncomingMessage, ctx.res as ServerResponse);
    } catch (thrown) {
      this.failed(ctx, thrown);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (thrown: unknown) => this.failed(ctx, thrown));
    }
  }

  private failed(ctx: RequestContext, thrown: unknown): void {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    pluginLog()?.error(
      { middlewareName: this.name, path: ctx.path, err: thrown instanceof Error ? thrown.stack : message },
      `plugin middleware ${this.name} failed: ${message}`,
    );
    sendError(ctx.res, 500);
  }
}

const WHOLE_HEAD = Symbol('switchyard.pluginWholeHead');
type WithWholeHead = ServerResponse & { [WHOLE_HEAD]?: WriteHead };

/**
 * The plugin set response headers before going on: the server's head is then written merged with
 * them (response-head.ts). Left to Node, a head given as a raw list on a response that has
 * headers set makes each of the server's headers replace the one before of the same name, and
 * of repeated Set-Cookie lines only the last would survive. Both values of a header set on both
 * sides are kept, as a Go plugin sees them in Traefik.
 */
function keepHeadWhole(res: ServerResponse): void {
  const patched = res as WithWholeHead;
  if (patched[WHOLE_HEAD] !== undefined) return;
  patched[WHOLE_HEAD] = res.writeHead as WriteHead;
  res.writeHead = wholeWriteHead as ServerResponse['writeHead'];
}

function wholeWriteHead(this: WithWholeHead, status: number, reason?: unknown, headers?: unknown): ServerResponse {
  writeCapturedHead(this, this[WHOLE_HEAD]!, captureHead(this, status, reason, headers));
  return this;
}

/** The plugin changed `req.url`: the path and query the rest of the chain sees follow it. */
function followUrl(ctx: RequestContext, url: string): void {
  let target = url;
  if (!target.startsWith('/')) {
    // An absolute URL: keep its path.
    const slash = target.indexOf('/', target.indexOf('//') + 2);
    target = slash === -1 ? '/' : target.slice(slash);
  }
  const q = target.indexOf('?');
  ctx.path = q === -1 ? target : target.slice(0, q);
  ctx.query = q === -1 ? '' : target.slice(q + 1);
}

/** The plugin middleware type. */
export const plugin: MiddlewareDefinition<PluginOptions> = {
  type: 'plugin',
  schema,
  build(options, context) {
    const pluginName = Object.keys(options)[0]!;
    const loaded = findPlugin(pluginName);
    if (loaded === undefined) {
      const known = declaredPlugins();
      throw new Error(
        `plugin ${JSON.stringify(pluginName)} is not declared in experimental.localPlugins${known.length > 0 ? ` (declared: ${known.join(', ')})` : ''}`,
      );
    }
    if (loaded.module === undefined) throw new Error(loaded.error);
    const module = loaded.module;
    const instance = new PluginInstance(context.name);
    let handler: unknown;
    try {
      const defaults = module.createConfig === undefined ? {} : module.createConfig();
      const raw = options[pluginName];
      const config = mergeConfig(defaults ?? {}, isPlainObject(raw) ? raw : undefined);
      handler = module.create(instance.pluginNext, (config ?? {}) as Record<string, unknown>, context.name);
    } catch (thrown) {
      throw new Error(
        `plugin ${JSON.stringify(pluginName)}: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      );
    }
    if (typeof handler !== 'function') {
      throw new Error(
        `plugin ${JSON.stringify(pluginName)}: create() must return a (req, res) handler, got ${typeof handler}`,
      );
    }
    instance.handler = handler as PluginHandler;
    return (next: Handler): Handler =>
      (ctx) =>
        instance.run(next, ctx);
  },
};
