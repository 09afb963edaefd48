/**
 * The default rule is a Go template (`Host(\`{{ normalize .Name }}\`)`). This is the subset of
 * text/template that default rules use in practice: actions with fields (`.Name`,
 * `.ContainerName`, `.Labels`, `.Labels.key`), string literals, function calls, parentheses,
 * pipes (`{{ .Name | normalize }}`) and the `{{-`/`-}}` trim markers. Functions: `normalize` and
 * `index` (Traefik's) plus a few of sprig's string helpers. The template is compiled once, when the
 * provider is configured, so a typo fails at startup rather than per container.
 */
import { ConfigError } from '../../errors.js';
import { readInterpretedString, readRawString } from '../../rules/go-string.js';
import { normalizeName } from './normalize.js';

/** What `.` is when a default rule is rendered for one container. */
export interface DefaultRuleData {
  /** The service name (compose: `<service>-<project>`, else the normalised container name). */
  Name: string;
  /** The container name without the leading slash. */
  ContainerName: string;
  /** All the container's labels. */
  Labels: Record<string, string>;
}

type Value = string | Record<string, string>;

type Node =
  | { kind: 'field'; path: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'call'; name: string; args: Node[] };

type Part = { kind: 'text'; text: string } | { kind: 'action'; node: Node };

const FUNCTIONS: Readonly<Record<string, { arity: number; run: (args: Value[]) => Value }>> = {
  normalize: { arity: 1, run: ([s]) => normalizeName(asString(s)) },
  // Go's index on a map yields the zero value for a missing key, never an error.
  index: { arity: 2, run: ([m, k]) => asMap(m)[asString(k)] ?? '' },
  lower: { arity: 1, run: ([s]) => asString(s).toLowerCase() },
  upper: { arity: 1, run: ([s]) => asString(s).toUpperCase() },
  trim: { arity: 1, run: ([s]) => asString(s).trim() },
  trimPrefix: {
    arity: 2,
    run: ([p, s]) => (asString(s).startsWith(asString(p)) ? asString(s).slice(asString(p).length) : asString(s)),
  },
  trimSuffix: {
    arity: 2,
    run: ([p, s]) =>
      asString(p) !== '' && asString(s).endsWith(asString(p)) ? asString(s).slice(0, -asString(p).length) : asString(s),
  },
  replace: { arity: 3, run: ([from, to, s]) => asString(s).replaceAll(asString(from), asString(to)) },
};

function asString(value: Value | undefined): string {
  if (typeof value !== 'string') throw new Error('expected a string, got a map');
  return value;
}

function asMap(value: Value | undefined): Record<string, string> {
  if (value === undefined || typeof value === 'string') throw new Error('index expects a map such as .Labels');
  return value;
}

/** A default rule compiled once; `render` fills it for one container (throws on a runtime fault). */
export interface DefaultRuleTemplate {
  readonly source: string;
  render(data: DefaultRuleData): string;
}

/** Compiles a default-rule template; throws ConfigError naming the fault. */
export function compileDefaultRule(source: string): DefaultRuleTemplate {
  const parts = parseTemplate(source);
  return {
    source,
    render(data) {
      let out = '';
      for (const part of parts) out += part.kind === 'text' ? part.text : asString(evaluate(part.node, data));
      return out;
    },
  };
}

function fail(source: string, message: string): never {
  throw new ConfigError(
    `invalid default rule template ${JSON.stringify(source)}: ${message}`,
    'providers.docker.defaultRule',
  );
}

function parseTemplate(source: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = open === -1 ? source.slice(i) : source.slice(i, open);
    if (trimNextText) text = text.trimStart();
    if (open === -1) {
      if (text !== '') parts.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (source.startsWith('- ', start)) {
      text = text.trimEnd();
      start += 1;
    }
    if (text !== '') parts.push({ kind: 'text', text });
    const close = findClose(source, start);
    if (close === -1) fail(source, `unclosed action at offset ${open}`);
    let end = close;
    trimNextText = false;
    if (source[close - 1] === '-' && /\s/.test(source[close - 2] ?? '')) {
      end = close - 1;
      trimNextText = true;
    }
    parts.push({ kind: 'action', node: new ActionParser(source, source.slice(start, end), start).parse() });
    i = close + 2;
  }
  return parts;
}

/** Finds the `}}` closing an action, skipping string literals that may contain braces. */
function findClose(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (ch === '`' || ch === '"') {
      const quote = ch;
      i++;
      while (i < source.length && source[i] !== quote) i += source[i] === '\\' && quote === '"' ? 2 : 1;
    } else if (ch === '}' && source[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

type Token = { kind: 'field' | 'ident' | 'string' | '(' | ')' | '|'; value: string; at: number };

class ActionParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    private readonly source: string,
    text: string,
    private readonly offset: number,
  ) {
    this.tokens = this.tokenize(text);
  }

  parse(): Node {
    if (this.tokens.length === 0) fail(this.source, `empty action at offset ${this.offset}`);
    const node = this.pipeline();
    const rest = this.tokens[this.index];
    if (rest) fail(this.source, `unexpected ${JSON.stringify(rest.value || rest.kind)} at offset ${rest.at}`);
    return node;
  }

  private tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      const at = this.offset + i;
      if (/\s/.test(ch)) {
        i++;
      } else if (ch === '(' || ch === ')' || ch === '|') {
        tokens.push({ kind: ch, value: ch, at });
        i++;
      } else if (ch === '"' || ch === '`') {
        let literal: { value: string; end: number };
        try {
          literal = ch === '`' ? readRawString(text, i) : readInterpretedString(text, i);
        } catch (error) {
          fail(this.source, `bad string literal at offset ${at}: ${(error as Error).message}`);
        }
        tokens.push({ kind: 'string', value: literal.value, at });
        i = literal.end;
      } else if (/[.A-Za-z_]/.test(ch)) {
        const match = /^[.A-Za-z_][.\w]*/.exec(text.slice(i))!;
        tokens.push({ kind: ch === '.' ? 'field' : 'ident', value: match[0], at });
        i += match[0].length;
      } else {
        fail(this.source, `unexpected character ${JSON.stringify(ch)} at offset ${at}`);
      }
    }
    return tokens;
  }

  private pipeline(): Node {
    let node = this.checkArity(this.command());
    while (this.tokens[this.index]?.kind === '|') {
      this.index++;
      const next = this.command();
      // `x | f a` is `f a x`: the piped value becomes the last argument.
      if (next.kind !== 'call') fail(this.source, 'only a function can follow "|"');
      node = this.checkArity({ kind: 'call', name: next.name, args: [...next.args, node] });
    }
    return node;
  }

  private checkArity(node: Node): Node {
    if (node.kind === 'call' && node.args.length !== FUNCTIONS[node.name]!.arity) {
      fail(this.source, `${node.name} takes ${FUNCTIONS[node.name]!.arity} argument(s), got ${node.args.length}`);
    }
    return node;
  }

  private command(): Node {
    const first = this.tokens[this.index];
    if (!first) fail(this.source, `missing operand at offset ${this.offset}`);
    if (first.kind !== 'ident') return this.operand();
    this.index++;
    const fn = FUNCTIONS[first.value];
    if (!fn) fail(this.source, `unknown function ${first.value} (known: ${Object.keys(FUNCTIONS).join(', ')})`);
    const args: Node[] = [];
    while (this.tokens[this.index] && !['|', ')'].includes(this.tokens[this.index]!.kind)) args.push(this.operand());
    return { kind: 'call', name: first.value, args };
  }

  private operand(): Node {
    const token = this.tokens[this.index++];
    if (!token) fail(this.source, 'missing operand');
    if (token.kind === 'string') return { kind: 'string', value: token.value };
    if (token.kind === 'field') {
      if (token.value === '.') return { kind: 'field', path: [] };
      const path = token.value.slice(1).split('.');
      if (path.some((p) => p === '')) fail(this.source, `malformed field ${token.value}`);
      // An unknown field is a fault when the template runs, as in Go: that container gets no
      // router (its service stays), where a syntax error stops the provider at start.
      return { kind: 'field', path };
    }
    if (token.kind === '(') {
      const node = this.pipeline();
      if (this.tokens[this.index++]?.kind !== ')') fail(this.source, `missing ")" for "(" at offset ${token.at}`);
      return node;
    }
    if (token.kind === 'ident') fail(this.source, `function ${token.value} used as an argument needs parentheses`);
    return fail(this.source, `unexpected ${JSON.stringify(token.value)} at offset ${token.at}`);
  }
}

/** The fields a default rule can read. */
const FIELDS = ['Name', 'ContainerName', 'Labels'];

function evaluate(node: Node, data: DefaultRuleData): Value {
  if (node.kind === 'string') return node.value;
  if (node.kind === 'field') {
    if (node.path.length === 0) throw new Error('"." is not a string');
    const [head, ...rest] = node.path;
    if (!FIELDS.includes(head as string))
      throw new Error(`can't evaluate field ${head} (known: ${FIELDS.map((f) => `.${f}`).join(', ')})`);
    const root: Value = head === 'Labels' ? data.Labels : head === 'Name' ? data.Name : data.ContainerName;
    if (rest.length === 0) return root;
    if (rest.length > 1 || typeof root === 'string') throw new Error(`cannot read .${node.path.join('.')}`);
    return root[rest[0]!] ?? '';
  }
  return FUNCTIONS[node.name]!.run(node.args.map((arg) => evaluate(arg, data)));
}
