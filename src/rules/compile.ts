/**
 * Compiles a parsed rule into one predicate. All validation and regexp compilation happens here,
 * once per rule; the predicate itself only calls the matchers' closures.
 */
import { RuleSyntaxError } from '../errors.js';
import type { MatcherNode, RuleNode } from './ast.js';
import { type BuiltMatcher, findMatcher, MatcherArgumentError } from './matchers.js';
import { parseRule } from './parser.js';
import type { CompiledRule, RuleMatcher } from './types.js';

// The built matcher of each leaf, kept for explainRule so it need not rebuild regexps.
const builtMatchers = new WeakMap<MatcherNode, BuiltMatcher>();

/** Parses and compiles a rule; throws RuleSyntaxError (bad syntax, name, arity or argument). */
export function compileRuleMatcher(rule: string): CompiledRule {
  const ast = parseRule(rule);
  return { rule, ast, match: compileNode(rule, ast) };
}

/** The built matcher for a leaf of a compiled rule (built now if the node did not come from compile). */
export function builtMatcherFor(rule: string, node: MatcherNode): BuiltMatcher {
  let built = builtMatchers.get(node);
  if (built === undefined) {
    built = buildLeaf(rule, node);
    builtMatchers.set(node, built);
  }
  return built;
}

/** Whether the rule constrains the host (a Host or HostRegexp matcher anywhere in it). */
export function hasHostMatcher(node: RuleNode): boolean {
  switch (node.kind) {
    case 'matcher':
      return node.name === 'Host' || node.name === 'HostRegexp';
    case 'not':
      return hasHostMatcher(node.child);
    default:
      return node.children.some(hasHostMatcher);
  }
}

function compileNode(rule: string, node: RuleNode): RuleMatcher {
  switch (node.kind) {
    case 'matcher':
      return builtMatcherFor(rule, node).match;
    case 'not': {
      const child = compileNode(rule, node.child);
      return (input) => !child(input);
    }
    case 'and': {
      const children = node.children.map((child) => compileNode(rule, child));
      if (children.length === 2) {
        const [left, right] = children as [RuleMatcher, RuleMatcher];
        return (input) => left(input) && right(input);
      }
      return (input) => {
        for (const child of children) if (!child(input)) return false;
        return true;
      };
    }
    case 'or': {
      const children = node.children.map((child) => compileNode(rule, child));
      if (children.length === 2) {
        const [left, right] = children as [RuleMatcher, RuleMatcher];
        return (input) => left(input) || right(input);
      }
      return (input) => {
        for (const child of children) if (child(input)) return true;
        return false;
      };
    }
  }
}

function buildLeaf(rule: string, node: MatcherNode): BuiltMatcher {
  const definition = findMatcher(node.name);
  if (definition === undefined) throw new RuleSyntaxError(`unknown matcher ${node.name}`, rule, node.start);
  try {
    return definition.build(node.args);
  } catch (error) {
    if (error instanceof MatcherArgumentError) {
      throw new RuleSyntaxError(`${node.name}: ${error.message}`, rule, faultPosition(rule, node, error));
    }
    throw error;
  }
}

/**
 * Where an argument error is in the rule. A backtick argument is the value verbatim, so an
 * offset inside the value maps to the exact character; a double-quoted one may contain escapes,
 * so the error points at its opening quote.
 */
function faultPosition(rule: string, node: MatcherNode, error: MatcherArgumentError): number {
  const argStart = node.argStarts[error.argIndex] ?? node.start;
  // Go drops '\r' from raw strings, which would shift offsets: then fall back to the quote.
  const verbatim =
    rule[argStart] === '`' && rule.slice(argStart + 1, rule.indexOf('`', argStart + 1)).indexOf('\r') === -1;
  return verbatim && error.offset !== undefined ? argStart + 1 + error.offset : argStart;
}
