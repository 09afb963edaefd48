/**
 * Renders a parsed template against data, as Go's text/template executes: dot and variables
 * scoped to their block, pipelines passing their value as the last argument, `and`/`or`
 * short-circuiting, missing map keys printing `<no value>`, unknown struct fields failing.
 * Every render has a budget (steps, output size, `template` depth), so no template can hang or
 * exhaust the process; the error then names the place it stopped.
 */
import { TemplateExecError } from './errors.js';
import type { FunctionMap } from './functions.js';
import type { Arg, BranchNode, Command, ParsedTemplate, Pipe, TreeNode } from './parser.js';
import { formatValue, GoStruct, goTypeName, isMap, truth } from './values.js';

/** How much one render may do. */
export interface RenderLimits {
  /** Nodes walked and loop iterations, together. */
  maxSteps: number;
  /** Characters of output. */
  maxOutput: number;
  /** Nested `template` calls. */
  maxDepth: number;
}

/** Generous for configuration files (thousands of routers), small enough to stop a runaway at once. */
export const DEFAULT_LIMITS: RenderLimits = { maxSteps: 2_000_000, maxOutput: 32 * 1024 * 1024, maxDepth: 100 };

const NONE = Symbol('no final value');
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

/** Renders `parsed`; throws TemplateExecError with the position of the failing action. */
export function executeTemplate(
  parsed: ParsedTemplate,
  data: unknown,
  functions: FunctionMap,
  name: string,
  source: string,
  limits: RenderLimits = DEFAULT_LIMITS,
): string {
  return new Execution(parsed, functions, name, source, limits).run(data);
}

class Execution {
  private out = '';
  private vars: { name: string; value: unknown }[] = [];
  private steps = 0;
  private depth = 0;

  constructor(
    private readonly parsed: ParsedTemplate,
    private readonly functions: FunctionMap,
    private readonly name: string,
    private readonly source: string,
    private readonly limits: RenderLimits,
  ) {}

  run(data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    try {
      this.walkList(this.parsed.root, data);
    } catch (error) {
      // Nesting is bounded at parse time and template calls here, but their product may still
      // exhaust the stack: that is the template's fault, reported as such, never a crash.
      if (error instanceof RangeError) this.fail('the template nests too deeply to render', 0);
      throw error;
    }
    return this.out;
  }

  private fail(message: string, at: number): never {
    throw new TemplateExecError(message, this.name, this.source, at);
  }

  private step(at: number): void {
    if (++this.steps > this.limits.maxSteps) {
      this.fail(`the template takes more than ${this.limits.maxSteps} steps; is a loop too long?`, at);
    }
  }

  private walkList(list: readonly TreeNode[], dot: unknown): void {
    for (const node of list) this.walk(node, dot);
  }

  private walk(node: TreeNode, dot: unknown): void {
    switch (node.t) {
      case 'text':
        this.write(node.text, 0);
        return;
      case 'action': {
        this.step(node.at);
        const value = this.pipe(node.pipe, dot);
        if (node.pipe.vars.length === 0) this.write(formatValue(value), node.at);
        return;
      }
      case 'if':
      case 'with': {
        this.step(node.at);
        const mark = this.vars.length;
        const value = this.pipe(node.pipe, dot);
        if (truth(value)) this.walkList(node.list, node.t === 'with' ? value : dot);
        else if (node.elseList) this.walkList(node.elseList, dot);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.range(node, dot);
        return;
      case 'template': {
        this.step(node.at);
        const body = this.parsed.defined.get(node.name);
        if (!body) this.fail(`no such template ${JSON.stringify(node.name)}`, node.at);
        if (this.depth >= this.limits.maxDepth) {
          this.fail(`template calls nest deeper than ${this.limits.maxDepth}; is a template calling itself?`, node.at);
        }
        const value = node.pipe ? this.pipe(node.pipe, dot) : null;
        const saved = this.vars;
        this.vars = [{ name: '$', value }];
        this.depth++;
        try {
          this.walkList(body, value);
        } finally {
          this.depth--;
          this.vars = saved;
        }
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private write(text: string, at: number): void {
    this.out += text;
    if (this.out.length > this.limits.maxOutput) {
      this.fail(`the template renders more than ${this.limits.maxOutput} characters`, at);
    }
  }

  private range(node: BranchNode, dot: unknown): void {
    this.step(node.at);
    const mark = this.vars.length;
    const value = this.pipe(node.pipe, dot);
    const entries: [unknown, unknown][] = [];
    if (Array.isArray(value)) for (const [i, e] of value.entries()) entries.push([i, e]);
    else if (isMap(value)) for (const k of Object.keys(value).sort()) entries.push([k, value[k]]);
    else if (typeof value === 'number' && Number.isInteger(value)) {
      if (node.pipe.vars.length > 1) this.fail("can't use two variables to range over an integer", node.at);
      if (value > this.limits.maxSteps) this.fail(`range over ${value} is over the step budget`, node.at);
      for (let i = 0; i < value; i++) entries.push([i, i]);
    } else if (value !== undefined && value !== null) {
      this.fail(`range can't iterate over ${formatValue(value)}`, node.at);
    }
    if (entries.length === 0) {
      this.vars.length = mark;
      if (node.elseList) this.walkList(node.elseList, dot);
      return;
    }
    const declared = node.pipe.assign ? 0 : node.pipe.vars.length;
    for (const [key, element] of entries) {
      this.step(node.at);
      if (node.pipe.vars.length > 0) this.setLoopVars(node.pipe, key, element, declared);
      const inner = this.vars.length;
      try {
        this.walkList(node.list, element);
      } catch (signal) {
        if (signal === BREAK) break;
        if (signal !== CONTINUE) throw signal;
      } finally {
        this.vars.length = inner;
      }
    }
    this.vars.length = mark;
  }

  /** One variable gets the element; two get the key and the element (Go's order). */
  private setLoopVars(pipe: Pipe, key: unknown, element: unknown, declared: number): void {
    const [first, second] = pipe.vars;
    const assign = (name: string, value: unknown, fromTop: number) => {
      if (declared > 0) this.vars[this.vars.length - fromTop]!.value = value;
      else this.setVar(name, value, pipe.at);
    };
    if (second === undefined) assign(first!, element, 1);
    else {
      assign(first!, key, 2);
      assign(second, element, 1);
    }
  }

  private setVar(name: string, value: unknown, at: number): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(`undefined variable ${JSON.stringify(name)}`, at);
  }

  private lookupVar(name: string, at: number): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.fail(`undefined variable ${JSON.stringify(name)}`, at);
  }

  private pipe(pipe: Pipe, dot: unknown): unknown {
    let value: unknown = NONE;
    for (const cmd of pipe.cmds) value = this.command(cmd, dot, value);
    for (const name of pipe.vars) {
      if (pipe.assign) this.setVar(name, value, pipe.at);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private command(cmd: Command, dot: unknown, final: unknown): unknown {
    const first = cmd.args[0]!;
    if (first.t === 'func') return this.call(first.name, cmd.args.slice(1), dot, final, first.at);
    if (cmd.args.length > 1 || final !== NONE) {
      this.fail(`can't give argument to non-function ${describeArg(first)}`, first.at);
    }
    if (first.t === 'nil') this.fail('nil is not a command', first.at);
    return this.arg(first, dot);
  }

  private arg(arg: Arg, dot: unknown): unknown {
    switch (arg.t) {
      case 'field':
        return this.fields(dot, arg.chain, arg.at);
      case 'var':
        return this.fields(this.lookupVar(arg.name, arg.at), arg.chain, arg.at);
      case 'dot':
        return dot;
      case 'func':
        return this.call(arg.name, [], dot, NONE, arg.at);
      case 'lit':
        return arg.value;
      case 'nil':
        return null;
      case 'pipe':
        return this.fields(this.pipe(arg.pipe, dot), arg.chain, arg.at);
    }
  }

  private fields(receiver: unknown, chain: readonly string[], at: number): unknown {
    let value = receiver;
    for (const field of chain) {
      if (value instanceof GoStruct) {
        if (!Object.hasOwn(value.fields, field))
          this.fail(`can't evaluate field ${field} in type ${value.typeName}`, at);
        value = value.fields[field];
      } else if (isMap(value)) {
        value = Object.hasOwn(value, field) ? value[field] : undefined;
      } else if (value === undefined || value === null) {
        this.fail(`nil pointer evaluating interface {}.${field}`, at);
      } else {
        this.fail(`can't evaluate field ${field} in type ${goTypeName(value)}`, at);
      }
    }
    return value;
  }

  private call(name: string, argNodes: readonly Arg[], dot: unknown, final: unknown, at: number): unknown {
    const fn = this.functions[name];
    if (!fn) return this.fail(`function ${JSON.stringify(name)} not defined`, at);
    const count = argNodes.length + (final === NONE ? 0 : 1);
    const [min, max] = fn.arity;
    if (count < min || count > max) {
      const want = min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
      this.fail(`wrong number of args for ${name}: want ${want} got ${count}`, at);
    }
    if (name === 'and' || name === 'or') {
      // Go 1.18+: evaluation stops at the first argument that decides the result.
      let value: unknown;
      for (const node of argNodes) {
        value = this.arg(node, dot);
        if (truth(value) === (name === 'or')) return value;
      }
      return final === NONE ? value : final;
    }
    const args = argNodes.map((node) => this.arg(node, dot));
    if (final !== NONE) args.push(final);
    try {
      return fn.run(args);
    } catch (error) {
      if (error instanceof TemplateExecError) throw error;
      return this.fail(`error calling ${name}: ${(error as Error).message}`, at);
    }
  }
}

function describeArg(arg: Arg): string {
  if (arg.t === 'field') return `.${arg.chain.join('.')}`;
  if (arg.t === 'var') return [arg.name, ...arg.chain].join('.');
  if (arg.t === 'lit') return formatValue(arg.value);
  return arg.t;
}
