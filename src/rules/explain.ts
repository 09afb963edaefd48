/**
 * `switchyard explain`: evaluates a compiled rule against one request and says, node by node,
 * what matched and why. Every operand is evaluated (no short-circuit) so the report is complete.
 */
import type { RuleNode } from './ast.js';
import { builtMatcherFor } from './compile.js';
import type { CompiledRule, MatchInput } from './types.js';

/** For `switchyard explain`: evaluate and say why each leaf matched or not. */
export interface RuleExplanation {
  /** The node's source text in the rule. */
  text: string;
  matched: boolean;
  children: RuleExplanation[];
  /** For matcher leaves: what the request had and how it compared. */
  reason?: string;
}

/** Evaluates the rule on the input and explains each node's verdict. */
export function explainRule(compiled: CompiledRule, input: MatchInput): RuleExplanation {
  return explainNode(compiled.rule, compiled.ast, input);
}

function explainNode(rule: string, node: RuleNode, input: MatchInput): RuleExplanation {
  const text = rule.slice(node.start, node.end);
  switch (node.kind) {
    case 'matcher': {
      const built = builtMatcherFor(rule, node);
      return { text, matched: built.match(input), children: [], reason: built.explain(input) };
    }
    case 'not': {
      const child = explainNode(rule, node.child, input);
      return { text, matched: !child.matched, children: [child] };
    }
    case 'and':
    case 'or': {
      const children = node.children.map((child) => explainNode(rule, child, input));
      const matched = node.kind === 'and' ? children.every((c) => c.matched) : children.some((c) => c.matched);
      return { text, matched, children };
    }
  }
}

/** Renders an explanation as an indented tree, one node per line, ✓ or ✗ first. */
export function formatExplanation(explanation: RuleExplanation, indent = ''): string {
  const mark = explanation.matched ? '✓' : '✗';
  const reason = explanation.reason === undefined ? '' : `  — ${explanation.reason}`;
  const lines = [`${indent}${mark} ${explanation.text}${reason}`];
  for (const child of explanation.children) lines.push(formatExplanation(child, `${indent}  `));
  return lines.join('\n');
}
