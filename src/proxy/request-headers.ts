/**
 * Builds the headers sent upstream: the client's headers minus hop-by-hop ones, plus the
 * X-Forwarded-* family as Traefik sets them. The entry point has already removed the client's
 * X-Forwarded-* headers unless the peer is trusted (`forwardedHeaders.trustedIPs`), so values
 * still present here are trusted and are kept (X-Forwarded-For is appended to).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.js';

const SERVER_NAME = hostname();

/** What the header builder needs to know about the request. */
export interface ForwardingFacts {
  remoteAddress: string;
  scheme: 'http' | 'https';
  /** Local port the client connected to, for X-Forwarded-Port when the Host has none. */
  localPort: number;
  /** Host header to send upstream, or null to keep the client's (passHostHeader). */
  upstreamHost: string | null;
  /** Keep Connection/Upgrade for a protocol upgrade. */
  upgrade: string | null;
}

/** The outgoing request headers for a proxied request. */
export function buildRequestHeaders(incoming: IncomingHttpHeaders, facts: ForwardingFacts): OutgoingHttpHeaders {
  const named = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name)) {
      // "TE: trailers" is the one TE value that may be forwarded (gRPC relies on it).
      if (name === 'te' && incoming.te === 'trailers') out.te = 'trailers';
      continue;
    }
    if (named?.has(name)) continue;
    out[name] = incoming[name];
  }
  const remote = facts.remoteAddress;
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remote}` : remote;
  const host = incoming.host ?? '';
  if (out['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = facts.scheme;
  if (out['x-forwarded-host'] === undefined) out['x-forwarded-host'] = host;
  if (out['x-forwarded-port'] === undefined) out['x-forwarded-port'] = portOf(host, facts);
  out['x-forwarded-server'] = SERVER_NAME;
  if (out['x-real-ip'] === undefined) out['x-real-ip'] = remote;
  if (facts.upstreamHost !== null) out.host = facts.upstreamHost;
  if (facts.upgrade !== null) {
    out.connection = 'Upgrade';
    out.upgrade = facts.upgrade;
  }
  return out;
}

function portOf(host: string, facts: ForwardingFacts): string {
  // The port is what follows the last ':' unless that colon is inside an IPv6 literal.
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && colon > host.lastIndexOf(']')) return host.slice(colon + 1);
  if (host !== '') return facts.scheme === 'https' ? '443' : '80';
  return String(facts.localPort);
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 peers on dual-stack sockets. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The X-Forwarded-* family, removed from requests of untrusted peers before anything else runs. */
export const FORWARDED_HEADERS: readonly string[] = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-prefix',
  'x-real-ip',
  'forwarded',
];
