/**
 * Traefik's `sourceCriterion` (rateLimit, inFlightReq): what requests are grouped by. The client
 * IP by default (the peer address, or a hop of X-Forwarded-For with `ipStrategy.depth`, skipping
 * `excludedIPs`), a request header's value, or the request host. Compiled once into a function.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { boolValue, integerValue } from '../config/value-schemas.js';
import { plainAddress } from '../proxy/request-headers.js';
import { OptionError, stringList } from './options.js';
import type { RequestContext } from './types.js';

/** The `sourceCriterion` option schema. */
export const sourceCriterionSchema = z.strictObject({
  ipStrategy: z
    .strictObject({
      depth: integerValue().pipe(z.number().int().min(0, 'must be at least 0')).optional(),
      excludedIPs: stringList.optional(),
      ipv6Subnet: integerValue().optional(),
    })
    .optional(),
  requestHeaderName: z.string().optional(),
  requestHost: boolValue.optional(),
});

/** Validated `sourceCriterion`. */
export type SourceCriterion = z.output<typeof sourceCriterionSchema>;

/** Extracts the grouping key of a request. */
export type SourceKey = (ctx: RequestContext) => string;

function remoteAddress(ctx: RequestContext): string {
  return plainAddress(ctx.req.socket.remoteAddress);
}

/** Compiles a criterion; throws an OptionError (field under `sourceCriterion`) when it is contradictory. */
export function compileSourceCriterion(criterion: SourceCriterion | undefined): SourceKey {
  if (criterion === undefined) return remoteAddress;
  const chosen = [
    criterion.ipStrategy !== undefined,
    criterion.requestHeaderName !== undefined && criterion.requestHeaderName !== '',
    criterion.requestHost === true,
  ].filter(Boolean).length;
  if (chosen > 1) {
    throw new OptionError('sourceCriterion', 'ipStrategy, requestHeaderName and requestHost are mutually exclusive');
  }
  if (criterion.requestHeaderName !== undefined && criterion.requestHeaderName !== '') {
    const name = criterion.requestHeaderName.toLowerCase();
    return (ctx) => {
      const value = ctx.req.headers[name];
      return Array.isArray(value) ? value.join(',') : (value ?? '');
    };
  }
  if (criterion.requestHost === true) return (ctx) => ctx.host;
  const strategy = criterion.ipStrategy;
  const depth = strategy?.depth ?? 0;
  const excluded = strategy?.excludedIPs ?? [];
  if (depth === 0 && excluded.length === 0) return remoteAddress;
  const blocked = new BlockList();
  for (const [i, entry] of excluded.entries()) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0)
      throw new OptionError(`sourceCriterion.ipStrategy.excludedIPs.${i}`, `invalid IP or CIDR "${entry}"`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocked.addAddress(address as string, type);
    else blocked.addSubnet(address as string, Number(bits), type);
  }
  return (ctx) => {
    const header = ctx.req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    // Traefik: depth counts from the right; past the list's start there is no client IP.
    if (depth > 0) return list.length >= depth ? (list[list.length - depth] as string) : '';
    for (let i = list.length - 1; i >= 0; i--) {
      const ip = list[i] as string;
      const family = isIP(ip);
      if (family === 0 || !blocked.check(ip, family === 6 ? 'ipv6' : 'ipv4')) return ip;
    }
    return remoteAddress(ctx);
  };
}
