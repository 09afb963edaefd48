/**
 * Builds the tree of a Go text/template from its segments: text, actions (pipelines), `if`/`else
 * if`/`else`, `with`/`else with`, `range … else`, `break`/`continue`, `define`, `block` and
 * `template`. Functions are resolved here, as Go does at parse time, so an unknown one fails when
 * the template is compiled, with its position.
 */
import { TemplateSyntaxError } from './errors.js';
import { lexTemplate, type Segment, type Token } from './lexer.js';

/** An operand of a command. */
export type Arg =
  | { t: 'field'; chain: string[]; at: number }
  | { t: 'var'; name: string; chain: string[]; at: number }
  | { t: 'dot'; at: number }
  | { t: 'func'; name: string; at: number }
  | { t: 'lit'; value: string | number | boolean; at: number }
  | { t: 'nil'; at: number }
  | { t: 'pipe'; pipe: Pipe; chain: string[]; at: number };

/** One command of a pipeline: its words, the first of which may be a function. */
export interface Command {
  args: Arg[];
  at: number;
}

/** A pipeline with its optional declaration (`$x :=`) or assignment (`$x =`). */
export interface Pipe {
  vars: string[];
  assign: boolean;
  cmds: Command[];
  at: number;
}

/** An `if`, `with` or `range` with its body and optional else branch. */
export interface BranchNode {
  t: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: TreeNode[];
  elseList: TreeNode[] | undefined;
  at: number;
}

/** A node of the tree. */
export type TreeNode =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe; at: number }
  | BranchNode
  | { t: 'template'; name: string; pipe: Pipe | undefined; at: number }
  | { t: 'break' | 'continue'; at: number };

/** A parsed template: its main tree and the ones `define` and `block` named. */
export interface ParsedTemplate {
  root: TreeNode[];
  defined: Map<string, TreeNode[]>;
}

/** Parses `source`; `functionError` says why an identifier is not a callable function (undefined: it is). */
export function parseTemplate(
  source: string,
  name: string,
  functionError: (name: string) => string | undefined,
): ParsedTemplate {
  return new Parser(source, name, functionError).parseAll();
}

/** Deepest nesting of blocks and parentheses accepted (configuration files nest a handful). */
const MAX_NESTING = 200;

type Stop = { keyword: 'end' | 'else'; tokens: Token[]; at: number } | undefined;

class Parser {
  private readonly segments: Segment[];
  private index = 0;
  private readonly defined = new Map<string, TreeNode[]>();
  private loopDepth = 0;
  /** Nesting of blocks and parentheses: bounded so a hostile template cannot exhaust the stack. */
  private nesting = 0;
  private tokens: Token[] = [];
  private pos = 0;

  constructor(
    private readonly source: string,
    private readonly name: string,
    private readonly functionError: (name: string) => string | undefined,
  ) {
    this.segments = lexTemplate(source, name);
  }

  private fail(message: string, at: number): never {
    throw new TemplateSyntaxError(message, this.name, this.source, at);
  }

  parseAll(): ParsedTemplate {
    const { list, stop } = this.list();
    if (stop) this.fail(`unexpected {{${stop.keyword}}}`, stop.at);
    return { root: list, defined: this.defined };
  }

  private enter(at: number): void {
    if (++this.nesting > MAX_NESTING) this.fail(`blocks or parentheses nest deeper than ${MAX_NESTING}`, at);
  }

  /** Nodes up to an `{{end}}` or `{{else …}}` (returned as `stop`) or the end of the source. */
  private list(): { list: TreeNode[]; stop: Stop } {
    const list: TreeNode[] = [];
    while (this.index < this.segments.length) {
      const segment = this.segments[this.index++]!;
      if (segment.kind === 'text') {
        list.push({ t: 'text', text: segment.text });
        continue;
      }
      this.tokens = segment.tokens;
      this.pos = 0;
      const first = this.tokens[0];
      if (!first) this.fail('missing value for command', segment.at);
      if (first.kind === 'keyword' && (first.value === 'end' || first.value === 'else')) {
        return { list, stop: { keyword: first.value, tokens: this.tokens, at: segment.at } };
      }
      const node = this.action(segment.at);
      if (node) list.push(node);
    }
    return { list, stop: undefined };
  }

  private action(at: number): TreeNode | undefined {
    const first = this.tokens[0]!;
    if (first.kind !== 'keyword') {
      const pipe = this.pipeline(at, true);
      this.expectEnd(at);
      return { t: 'action', pipe, at };
    }
    this.pos = 1;
    switch (first.value) {
      case 'if':
      case 'with':
      case 'range':
        return this.branch(first.value, at);
      case 'break':
      case 'continue':
        if (this.loopDepth === 0) this.fail(`{{${first.value}}} outside {{range}}`, at);
        this.expectEnd(at);
        return { t: first.value, at };
      case 'template': {
        const templateName = this.templateName(at);
        const pipe = this.pos < this.tokens.length ? this.pipeline(at, false) : undefined;
        this.expectEnd(at);
        return { t: 'template', name: templateName, pipe, at };
      }
      case 'define': {
        const templateName = this.templateName(at);
        this.expectEnd(at);
        this.enter(at);
        const { list, stop } = this.list();
        this.nesting--;
        if (stop?.keyword !== 'end' || stop.tokens.length !== 1) this.fail('unexpected EOF in define', at);
        this.defined.set(templateName, list);
        return undefined;
      }
      case 'block': {
        const templateName = this.templateName(at);
        const pipe = this.pos < this.tokens.length ? this.pipeline(at, false) : undefined;
        this.expectEnd(at);
        this.enter(at);
        const { list, stop } = this.list();
        this.nesting--;
        if (stop?.keyword !== 'end' || stop.tokens.length !== 1) this.fail('unexpected EOF in block', at);
        this.defined.set(templateName, list);
        return { t: 'template', name: templateName, pipe, at };
      }
      default:
        return this.fail(`unexpected keyword ${first.value}`, at);
    }
  }

  private templateName(at: number): string {
    const token = this.tokens[this.pos++];
    if (token?.kind !== 'string' || typeof token.value !== 'string') this.fail('template name must be a string', at);
    return token.value;
  }

  private expectEnd(at: number): void {
    const extra = this.tokens[this.pos];
    if (extra) this.fail(`unexpected ${describe(extra)} in action`, extra.at ?? at);
  }

  /** `if`, `with` or `range`, with its body and else chain (`else if`/`else with` nest as Go does). */
  private branch(kind: 'if' | 'with' | 'range', at: number): TreeNode {
    this.enter(at);
    const node = this.branchBody(kind, at);
    this.nesting--;
    return node;
  }

  private branchBody(kind: 'if' | 'with' | 'range', at: number): TreeNode {
    const pipe = this.pipeline(at, kind === 'range' ? 'range' : true);
    this.expectEnd(at);
    if (kind === 'range') this.loopDepth++;
    const body = this.list();
    if (kind === 'range') this.loopDepth--;
    if (!body.stop) this.fail(`unexpected EOF: {{${kind}}} has no {{end}}`, at);
    let elseList: TreeNode[] | undefined;
    if (body.stop.keyword === 'else') {
      const stop = body.stop;
      const next = stop.tokens[1];
      if (next?.kind === 'keyword' && (next.value === 'if' || next.value === 'with') && kind !== 'range') {
        // `{{else if x}}` is `{{else}}{{if x}}…{{end}}{{end}}` sharing the one `{{end}}`.
        this.tokens = stop.tokens;
        this.pos = 2;
        elseList = [this.branch(next.value, stop.at)];
      } else {
        if (stop.tokens.length !== 1) this.fail('unexpected words after else', stop.tokens[1]!.at);
        const rest = this.list();
        if (rest.stop?.keyword !== 'end') this.fail(`unexpected EOF: {{${kind}}} has no {{end}}`, at);
        if (rest.stop.tokens.length !== 1) this.fail('unexpected words after end', rest.stop.tokens[1]!.at);
        elseList = rest.list;
      }
    } else if (body.stop.tokens.length !== 1) {
      this.fail('unexpected words after end', body.stop.tokens[1]!.at);
    }
    return { t: kind, pipe, list: body.list, elseList, at };
  }

  /** A pipeline up to the end of the action (or a closing parenthesis when nested). */
  private pipeline(at: number, declarations: boolean | 'range'): Pipe {
    const vars: string[] = [];
    let assign = false;
    if (declarations && this.tokens[this.pos]?.kind === 'var') {
      // Look ahead for `$x :=`, `$x =` or (in range) `$i, $e :=`.
      const save = this.pos;
      const names: string[] = [];
      for (;;) {
        const v = this.tokens[this.pos];
        if (v?.kind !== 'var') break;
        names.push(v.value);
        this.pos++;
        const sep = this.tokens[this.pos];
        if (sep?.kind === ',' && declarations === 'range' && names.length < 2) {
          this.pos++;
          continue;
        }
        if (sep?.kind === ':=' || sep?.kind === '=') {
          this.pos++;
          vars.push(...names);
          assign = sep.kind === '=';
        }
        break;
      }
      if (vars.length === 0) this.pos = save;
    }
    const cmds: Command[] = [];
    for (;;) {
      cmds.push(this.command(at));
      const next = this.tokens[this.pos];
      if (next?.kind === '|') {
        this.pos++;
        continue;
      }
      break;
    }
    return { vars, assign, cmds, at };
  }

  private command(at: number): Command {
    const args: Arg[] = [];
    const start = this.tokens[this.pos]?.at ?? at;
    for (;;) {
      const token = this.tokens[this.pos];
      if (!token || token.kind === '|' || token.kind === ')') break;
      args.push(this.operand());
    }
    if (args.length === 0) this.fail('missing value for command', start);
    return { args, at: start };
  }

  private chain(): string[] {
    const chain: string[] = [];
    for (let t = this.tokens[this.pos]; t?.kind === 'field' && t.chained; t = this.tokens[this.pos]) {
      chain.push(t.value);
      this.pos++;
    }
    return chain;
  }

  private operand(): Arg {
    const token = this.tokens[this.pos++]!;
    switch (token.kind) {
      case 'field':
        return { t: 'field', chain: [token.value, ...this.chain()], at: token.at };
      case 'var':
        return { t: 'var', name: token.value, chain: this.chain(), at: token.at };
      case 'dot':
        return { t: 'dot', at: token.at };
      case 'ident': {
        const problem = this.functionError(token.value);
        if (problem !== undefined) this.fail(problem, token.at);
        return { t: 'func', name: token.value, at: token.at };
      }
      case 'string':
      case 'number':
      case 'bool':
      case 'char':
        return { t: 'lit', value: token.value, at: token.at };
      case 'nil':
        return { t: 'nil', at: token.at };
      case '(': {
        this.enter(token.at);
        const pipe = this.pipeline(token.at, false);
        this.nesting--;
        if (this.tokens[this.pos]?.kind !== ')') this.fail('unclosed left paren', token.at);
        this.pos++;
        return { t: 'pipe', pipe, chain: this.chain(), at: token.at };
      }
      case 'keyword':
        return this.fail(`unexpected keyword ${token.value} in command`, token.at);
      default:
        return this.fail(`unexpected ${JSON.stringify(token.kind)} in command`, token.at);
    }
  }
}

function describe(token: Token): string {
  return 'value' in token ? JSON.stringify(String(token.value)) : JSON.stringify(token.kind);
}
