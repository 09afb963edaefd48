/**
 * ipAllowList: only clients whose address is in `sourceRange` (IPs or CIDRs) get through; the
 * others are answered `rejectStatusCode` (403 by default) with the status text as body, as
 * Traefik does. The client address is chosen by `ipStrategy` (source-criterion.ts). An address
 * that cannot be read (an empty or malformed X-Forwarded-For hop) is refused.
 * `ipWhiteList`, the name before Traefik v3, is the same middleware without `rejectStatusCode`,
 * accepted with a deprecation warning.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { integerValue } from '../config/value-schemas.js';
import { OptionError, stringList } from './options.js';
import { compileIpStrategy, compileRanges, inRanges, ipStrategySchema } from './source-criterion.js';
import type { Handler, MiddlewareBuildContext, MiddlewareDefinition, MiddlewareWrapper } from './types.js';

const schema = z.strictObject({
  sourceRange: stringList.optional(),
  ipStrategy: ipStrategySchema.optional(),
  rejectStatusCode: integerValue().optional(),
});

const whiteListSchema = schema.omit({ rejectStatusCode: true });

/** Validated ipAllowList options. */
export type IpAllowListOptions = z.output<typeof schema>;

function buildAllowList(options: IpAllowListOptions): MiddlewareWrapper {
  const ranges = options.sourceRange ?? [];
  if (ranges.length === 0) throw new OptionError('sourceRange', 'sourceRange is empty: no client could get through');
  let status = options.rejectStatusCode ?? 0;
  if (status === 0) status = 403;
  else if (STATUS_CODES[status] === undefined || status < 100 || status > 599) {
    throw new OptionError('rejectStatusCode', `invalid HTTP status code ${status}`);
  }
  const allowed = compileRanges(ranges, 'sourceRange');
  const clientAddress = compileIpStrategy(options.ipStrategy);
  const body = STATUS_CODES[status] as string;
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  return (next: Handler): Handler =>
    (ctx) => {
      if (inRanges(allowed, clientAddress(ctx))) {
        next(ctx);
        return;
      }
      ctx.res.writeHead(status, headers);
      ctx.res.end(body);
    };
}

/** The ipAllowList middleware type. */
export const ipAllowList: MiddlewareDefinition<IpAllowListOptions> = {
  type: 'ipAllowList',
  schema,
  build: buildAllowList,
};

/** ipWhiteList: Traefik's deprecated name for ipAllowList (without rejectStatusCode). */
export const ipWhiteList: MiddlewareDefinition<z.output<typeof whiteListSchema>> = {
  type: 'ipWhiteList',
  schema: whiteListSchema,
  build(options, context: MiddlewareBuildContext) {
    context.warn?.('ipWhiteList is deprecated since Traefik v3, use ipAllowList (same options)');
    return buildAllowList(options);
  },
};
