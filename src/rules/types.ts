/**
 * The request-side contract of the rule engine: what a compiled rule looks at and what it returns.
 */
import type { RuleNode } from './ast.js';

/** What matchers look at; built once per request by the proxy. */
export interface MatchInput {
  /** Request method as received. */
  method: string;
  /** Host already normalised with normalizeHost(). */
  host: string;
  /** Routing path (see routingPath()). */
  path: string;
  /** Raw query string without '?', '' if none. */
  query: string;
  /** Node-style headers with lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** Peer IP ('' if unknown); IPv4-mapped IPv6 (::ffff:1.2.3.4) matches IPv4 CIDRs. */
  remoteAddress: string;
  /** Cache filled lazily by Query matchers, so the query is parsed at most once per request. */
  parsedQuery?: Map<string, string[]>;
}

/** A compiled predicate over one request. */
export type RuleMatcher = (input: MatchInput) => boolean;

/** A rule compiled once: its text, its predicate and its parse tree. */
export interface CompiledRule {
  rule: string;
  match: RuleMatcher;
  ast: RuleNode;
}
