/**
 * The parsed form of a rule. Every node keeps its span in the rule text so that errors and
 * `switchyard explain` can point at the exact piece of the rule they talk about.
 */

/** Offsets of a node in the rule text: `rule.slice(start, end)` is the node's source. */
export interface RuleSpan {
  start: number;
  end: number;
}

/** A matcher call such as ``Host(`example.com`)``, with its name in canonical spelling. */
export interface MatcherNode extends RuleSpan {
  kind: 'matcher';
  /** Canonical name (`PathPrefix`), whatever accepted spelling the rule used. */
  name: string;
  args: string[];
  /** Offset of each argument's opening quote, for errors about one argument. */
  argStarts: number[];
}

/** Operands joined by `&&` (two or more; chains are flattened). */
export interface AndNode extends RuleSpan {
  kind: 'and';
  children: RuleNode[];
}

/** Operands joined by `||` (two or more; chains are flattened). */
export interface OrNode extends RuleSpan {
  kind: 'or';
  children: RuleNode[];
}

/** A negated operand, `!x`. */
export interface NotNode extends RuleSpan {
  kind: 'not';
  child: RuleNode;
}

/** Any node of a parsed rule. */
export type RuleNode = MatcherNode | AndNode | OrNode | NotNode;
