/**
 * How TCP and UDP objects look in the API: Traefik's shape for them (configuration as written,
 * `status`, `error`, then `name` and `provider`; services and middlewares add `type`), so
 * `/api/tcp/…` and `/api/udp/…` answer what a Traefik client expects, each object carrying the
 * errors and warnings its build recorded (server/build-tcp.ts, build-udp.ts).
 */

import type { UpstreamRegistry } from '../balancer/upstream-state.js';
import { qualify } from '../core/names.js';
import type { PendingObject } from '../server/runtime.js';
import { routerMiddlewares } from '../server/unimplemented.js';
import type { Listed } from './list-query.js';

type Json = Record<string, unknown>;

/** A TCP or UDP object without name/provider (rawdata). */
function pendingInfo(object: PendingObject, upstreams?: UpstreamRegistry): Json {
  const out: Json = { ...(object.config as Json | undefined) };
  out.status = object.status;
  if (object.errors.length > 0) out.error = [...object.errors];
  if (object.usedBy.length > 0) out.usedBy = [...object.usedBy].sort();
  if (upstreams !== undefined && object.status !== 'disabled') {
    const status = checkedServerStatus(object, upstreams);
    if (status !== undefined) out.serverStatus = status;
  }
  return out;
}

/**
 * A TCP service with `loadBalancer.healthCheck`: UP or DOWN per server address, as Traefik's
 * `serverStatus` (only health-checked TCP services have one there).
 */
function checkedServerStatus(object: PendingObject, upstreams: UpstreamRegistry): Json | undefined {
  const lb = (object.config as { loadBalancer?: { healthCheck?: unknown; servers?: unknown } } | undefined)
    ?.loadBalancer;
  if (lb?.healthCheck === undefined || !Array.isArray(lb.servers)) return undefined;
  const now = Date.now();
  const status: Json = {};
  for (const server of lb.servers) {
    const address = (server as { address?: unknown } | null)?.address;
    if (typeof address !== 'string') continue;
    const state = upstreams.peek(`tcp://${address}`);
    status[address] = state === undefined || state.available(now) ? 'UP' : 'DOWN';
  }
  return Object.keys(status).length > 0 ? status : undefined;
}

/** A TCP or UDP object with name and provider; `typed` adds Traefik's lower-case `type` (services, middlewares). */
export function pendingView(object: PendingObject, typed: boolean, upstreams?: UpstreamRegistry): Json {
  const out = pendingInfo(object, upstreams);
  out.name = object.name;
  out.provider = object.provider;
  const type = typed && object.config !== undefined ? Object.keys(object.config)[0] : undefined;
  if (type !== undefined) out.type = type.toLowerCase();
  return out;
}

/** The qualified service of a TCP or UDP router, for the `serviceName` filter. */
function serviceOf(object: PendingObject): string | undefined {
  const service = object.config?.service;
  return typeof service === 'string' ? qualify(service, object.provider) : undefined;
}

/** The objects of one map for a list endpoint (routers also filter by service, middleware and rule). */
export function listedPending(
  objects: Iterable<PendingObject>,
  kind: 'router' | 'service' | 'middleware',
  upstreams?: UpstreamRegistry,
): Listed[] {
  return [...objects].map((object) => {
    const listed: Listed = {
      name: object.name,
      status: object.status,
      view: pendingView(object, kind !== 'router', upstreams),
    };
    if (kind === 'router') {
      const rule = object.config?.rule;
      if (typeof rule === 'string') listed.searchAlso = rule;
      listed.service = serviceOf(object);
      listed.middlewares = routerMiddlewares(object);
    }
    return listed;
  });
}

/** Objects of one map by name, sorted, for `/api/rawdata`. */
export function pendingByName(objects: Iterable<PendingObject>, upstreams?: UpstreamRegistry): Json {
  const out: Json = {};
  for (const object of [...objects].sort((a, b) => (a.name < b.name ? -1 : 1)))
    out[object.name] = pendingInfo(object, upstreams);
  return out;
}
