/**
 * Explains how a request would be routed: per entry point, the routers in priority order, each
 * rule evaluated node by node, up to the one that takes the request. Shared by
 * `switchyard explain` (text) and `/api/explain` (JSON), so both always agree.
 */

import { qualify } from '../core/names.js';
import { compileRuleMatcher, explainRule, type RuleExplanation, toMatchInput } from '../rules/index.js';
import type { RuntimeConfiguration } from './runtime.js';

/** One router tried on an entry point. */
export interface ExplainedRouter {
  name: string;
  priority: number;
  rule: string;
  matched: boolean;
  /** Whether the router is served on TLS connections here (else on plaintext ones). */
  tls: boolean;
  explanation: RuleExplanation;
}

/** The verdict on one entry point. */
export interface EntryPointVerdict {
  entryPoint: string;
  /** The router that takes the request, or null (404). */
  router: string | null;
  middlewares: string[];
  service: string | null;
  /** Routers in the order they were tried, up to and including the match. */
  tried: ExplainedRouter[];
  /** Whether the request is on a TLS connection (an `https://` URL). */
  tls: boolean;
  /** Routers of this entry point not tried: served on the other kind of connection (TLS or plaintext). */
  otherConnection: string[];
}

/**
 * Reads `Name: value` header arguments (curl's `-H`, the API's `header=`) into lower-cased
 * names; an argument without a name before its colon is ignored, a later one wins.
 */
export function parseHeaderArgs(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of list) {
    const colon = header.indexOf(':');
    if (colon > 0) headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  return headers;
}

/** Explains a request against the runtime configuration on the given entry points. */
export function explainRequest(
  runtime: RuntimeConfiguration,
  entryPoints: readonly string[],
  request: { method: string; url: string; headers: Record<string, string>; remoteAddress: string },
): { method: string; host: string; path: string; entryPoints: EntryPointVerdict[] } {
  const url = request.url.startsWith('/') ? new URL(request.url, 'http://localhost') : new URL(request.url);
  const input = toMatchInput({
    method: request.method,
    url: `${url.pathname}${url.search}`,
    headers: { host: url.host, ...request.headers },
    remoteAddress: request.remoteAddress,
  });
  // An https:// URL is a TLS connection: only routers with TLS there apply (Traefik's semantics).
  const secure = url.protocol === 'https:';
  const verdicts = entryPoints.map((entryPoint): EntryPointVerdict => {
    const attached = [...runtime.routers.values()].filter(
      (r) => r.using.includes(entryPoint) && r.status !== 'disabled',
    );
    const isTls = (r: (typeof attached)[number]) => r.tlsOn?.includes(entryPoint) === true;
    const otherConnection = attached.filter((r) => isTls(r) !== secure).map((r) => r.name);
    const routers = attached
      .filter((r) => isTls(r) === secure)
      .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
    const tried: ExplainedRouter[] = [];
    for (const router of routers) {
      const rule = router.config?.rule ?? '';
      const explanation = explainRule(compileRuleMatcher(rule), input);
      tried.push({
        name: router.name,
        priority: router.priority,
        rule,
        matched: explanation.matched,
        tls: secure,
        explanation,
      });
      if (!explanation.matched) continue;
      return {
        entryPoint,
        router: router.name,
        middlewares: (router.config?.middlewares ?? []).map((m) => qualify(m, router.provider)),
        service: router.config?.service === undefined ? null : qualify(router.config.service, router.provider),
        tried,
        tls: secure,
        otherConnection,
      };
    }
    return { entryPoint, router: null, middlewares: [], service: null, tried, tls: secure, otherConnection };
  });
  return { method: request.method, host: input.host, path: input.path, entryPoints: verdicts };
}
