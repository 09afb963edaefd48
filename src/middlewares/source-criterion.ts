/**
 * Traefik's `ipStrategy` (ipAllowList, and the `sourceCriterion` of rateLimit and inFlightReq):
 * which address is the client's. Exactly Traefik's rules (pkg/ip/strategy.go):
 * - `depth` > 0: the depth-th address of X-Forwarded-For counting from the right, '' when the
 *   list is shorter;
 * - else `excludedIPs`: the rightmost X-Forwarded-For address not in those ranges, '' when all are;
 * - else the peer address.
 * `ipv6Subnet` (depth and peer only, as in Traefik) turns an IPv6 address into the first address
 * of its /N, so one client's many addresses count as one.
 * `sourceCriterion` adds the other groupings: a request header's value, or the request host.
 * Everything is compiled once into a function.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { boolValue, integerValue } from '../config/value-schemas.js';
import { plainAddress } from '../proxy/request-headers.js';
import { OptionError, stringList } from './options.js';
import type { RequestContext } from './types.js';

/**
 * The `ipStrategy` option schema. Labels may enable it empty (`…ipstrategy=true`, Traefik's
 * `allowEmpty`): canonicalizeKeys turns that into `{}`, the peer address.
 */
export const ipStrategySchema = z.strictObject({
  depth: integerValue().pipe(z.number().int().min(0, 'must be at least 0')).optional(),
  excludedIPs: stringList.optional(),
  ipv6Subnet: integerValue()
    .pipe(z.number().int().min(1, 'must be between 1 and 128').max(128, 'must be between 1 and 128'))
    .optional(),
});

/** Validated `ipStrategy`. */
export type IpStrategy = z.output<typeof ipStrategySchema>;

/** The `sourceCriterion` option schema. */
export const sourceCriterionSchema = z.strictObject({
  ipStrategy: ipStrategySchema.optional(),
  requestHeaderName: z.string().optional(),
  requestHost: boolValue.optional(),
});

/** Validated `sourceCriterion`. */
export type SourceCriterion = z.output<typeof sourceCriterionSchema>;

/** Extracts the grouping key (or client address) of a request. */
export type SourceKey = (ctx: RequestContext) => string;

function remoteAddress(ctx: RequestContext): string {
  return plainAddress(ctx.req.socket.remoteAddress);
}

/** `address` with the bits past `/bits` cleared, when it is IPv6; any other address unchanged. */
export function ipv6SubnetAddress(address: string, bits: number): string {
  const groups = ipv6Groups(address);
  if (groups === null) return address;
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    groups[i] = (groups[i] as number) & (keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff);
  }
  return formatIpv6(groups);
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included), or null. */
function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.split('%')[0] as string;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952 text of eight groups: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt === -1) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`;
}

/** Address ranges (`10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`) as a BlockList; throws on a bad one. */
export function compileRanges(entries: readonly string[], field: string): BlockList {
  const list = new BlockList();
  for (const [i, raw] of entries.entries()) {
    const entry = raw.trim();
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
    if (family === 0 || extra !== undefined || prefix < 0 || prefix > max) {
      throw new OptionError(`${field}.${i}`, `invalid IP or CIDR ${JSON.stringify(raw)}`);
    }
    list.addSubnet(address as string, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Whether `address` (a bare IPv4 or IPv6 address) is in `ranges`; false for anything else. */
export function inRanges(ranges: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && ranges.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function forwardedFor(ctx: RequestContext): string[] {
  const header = ctx.req.headers['x-forwarded-for'];
  return (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
}

/** Compiles an `ipStrategy` (undefined: the peer address); `field` prefixes error key paths. */
export function compileIpStrategy(strategy: IpStrategy | undefined, field = 'ipStrategy'): SourceKey {
  if (strategy === undefined) return remoteAddress;
  const depth = strategy.depth ?? 0;
  const subnet = strategy.ipv6Subnet;
  if (depth > 0) {
    return (ctx) => {
      const list = forwardedFor(ctx);
      if (list.length < depth) return '';
      const ip = (list[list.length - depth] as string).trim();
      return subnet === undefined ? ip : ipv6SubnetAddress(ip, subnet);
    };
  }
  const excluded = strategy.excludedIPs ?? [];
  if (excluded.length > 0) {
    const ranges = compileRanges(excluded, `${field}.excludedIPs`);
    return (ctx) => {
      const list = forwardedFor(ctx);
      for (let i = list.length - 1; i >= 0; i--) {
        const ip = (list[i] as string).trim();
        if (ip !== '' && !inRanges(ranges, ip)) return ip;
      }
      return '';
    };
  }
  if (subnet === undefined) return remoteAddress;
  return (ctx) => ipv6SubnetAddress(remoteAddress(ctx), subnet);
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
  return compileIpStrategy(criterion.ipStrategy, 'sourceCriterion.ipStrategy');
}
