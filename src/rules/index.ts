/**
 * The rule language of Traefik v3 (Host, PathPrefix, …, with &&, ||, ! and parentheses):
 * parse once, compile to a predicate, match requests, and explain a verdict.
 */
export type { AndNode, MatcherNode, NotNode, OrNode, RuleNode, RuleSpan } from './ast.js';
export { compileRuleMatcher, hasHostMatcher } from './compile.js';
export { explainRule, formatExplanation, type RuleExplanation } from './explain.js';
export { compileHostPattern, normalizeHost } from './host.js';
export { type IpNetwork, isV4Address, networkContains, parseIp, parseNetwork } from './ip.js';
export { findMatcher, MATCHERS, type MatcherDefinition } from './matchers.js';
export { HTTP_MATCHERS, type MatcherSet, matcherSet, parseRule } from './parser.js';
export { routingPath } from './path.js';
export { compileRe2, Re2SyntaxError, translateRe2 } from './re2.js';
export { compileRule, type RuleRequest, toMatchInput } from './request.js';
export type { CompiledRule, MatchInput, RuleMatcher } from './types.js';
