/**
 * TCP router rules: Traefik v3's TCP matchers (`HostSNI`, `HostSNIRegexp`, `ClientIP`, `ALPN`)
 * with `&&`, `||`, `!` and parentheses. The lexer and parser are the HTTP rules' (src/rules/),
 * given this matcher set; the matchers look at a connection, not a request.
 */
import { RuleSyntaxError } from '../errors.js';
import {
  compileHostPattern,
  compileRe2,
  isV4Address,
  matcherSet,
  networkContains,
  parseIp,
  parseNetwork,
  parseRule,
  Re2SyntaxError,
  type RuleNode,
} from '../rules/index.js';

/** What a TCP rule looks at: one connection, after its first bytes were peeked. */
export interface TcpMatchInput {
  /** TLS SNI, lower-cased without a trailing dot; '' without TLS or SNI. */
  readonly serverName: string;
  /** ALPN protocols the client offered (empty without TLS). */
  readonly alpn: readonly string[];
  /** Client IP ('' if unknown). */
  readonly remoteAddress: string;
  /** Whether the connection starts with a TLS ClientHello. */
  readonly tls: boolean;
}

/** A compiled predicate over a connection. */
export type TcpMatcher = (input: TcpMatchInput) => boolean;

interface BuiltTcpMatcher {
  match: TcpMatcher;
  explain(input: TcpMatchInput): string;
}

interface TcpMatcherDefinition {
  readonly name: string;
  readonly arity: readonly number[];
  build(value: string): BuiltTcpMatcher;
}

const q = (text: string): string => JSON.stringify(text);

class ArgumentError extends Error {}

function requireAscii(name: string, value: string): void {
  if (!/^[\x00-\x7f]*$/.test(value)) {
    throw new ArgumentError(`invalid value ${q(value)} for ${name}: non-ASCII characters are not allowed`);
  }
}

const hostSni: TcpMatcherDefinition = {
  name: 'HostSNI',
  arity: [1],
  build(expression) {
    requireAscii('HostSNI', expression);
    if (expression === '*') {
      return { match: () => true, explain: () => 'HostSNI(`*`) matches every connection' };
    }
    const test = compileHostPattern(expression);
    // A name can only come from a ClientHello: a plaintext connection never matches one.
    const match: TcpMatcher = (input) => input.tls && test(input.serverName);
    return {
      match,
      explain: (i) =>
        i.tls
          ? `SNI ${q(i.serverName)} ${match(i) ? 'matches' : 'does not match'} ${q(expression)}`
          : `no TLS: HostSNI(${q(expression)}) needs a ClientHello`,
    };
  },
};

const hostSniRegexp: TcpMatcherDefinition = {
  name: 'HostSNIRegexp',
  arity: [1],
  build(pattern) {
    requireAscii('HostSNIRegexp', pattern);
    let re: RegExp;
    try {
      re = compileRe2(pattern);
    } catch (error) {
      if (error instanceof Re2SyntaxError) throw new ArgumentError(`invalid regexp ${q(pattern)}: ${error.message}`);
      throw error;
    }
    const match: TcpMatcher = (input) => re.test(input.serverName);
    return { match, explain: (i) => `SNI ${q(i.serverName)} ${match(i) ? 'matches' : 'does not match'} /${pattern}/` };
  },
};

const scratch = new Uint32Array(4);

const clientIp: TcpMatcherDefinition = {
  name: 'ClientIP',
  arity: [1],
  build(range) {
    const network = parseNetwork(range);
    if (network === undefined) throw new ArgumentError(`invalid IP or CIDR ${q(range)}`);
    const match: TcpMatcher = (input) =>
      input.remoteAddress !== '' && parseIp(input.remoteAddress, scratch) && networkContains(network, scratch);
    return {
      match,
      explain: (i) => {
        const family = parseIp(i.remoteAddress, scratch) ? (isV4Address(scratch) ? 'IPv4 ' : 'IPv6 ') : '';
        return `client ${family}${q(i.remoteAddress)} ${match(i) ? 'is' : 'is not'} in ${range}`;
      },
    };
  },
};

const alpn: TcpMatcherDefinition = {
  name: 'ALPN',
  arity: [1],
  build(protocol) {
    // Traefik refuses it: a user router must never catch the answer to an ACME TLS-ALPN-01 challenge.
    if (protocol.toLowerCase() === 'acme-tls/1')
      throw new ArgumentError(`invalid protocol value for ALPN matcher: ${q(protocol)} is not allowed`);
    const match: TcpMatcher = (input) => input.alpn.includes(protocol);
    return {
      match,
      explain: (i) => `ALPN ${JSON.stringify(i.alpn)} ${match(i) ? 'offers' : 'does not offer'} ${q(protocol)}`,
    };
  },
};

/** Every TCP matcher of Traefik v3, by canonical name. */
export const TCP_MATCHERS = matcherSet([hostSni, hostSniRegexp, clientIp, alpn]);

/** A TCP rule compiled once. */
export interface CompiledTcpRule {
  readonly rule: string;
  readonly ast: RuleNode;
  readonly match: TcpMatcher;
  /** Whether the rule is exactly HostSNI(`*`) (a catch-all that needs no peek). */
  readonly catchAll: boolean;
  /** Whether some HostSNI/HostSNIRegexp/ALPN leaf needs a ClientHello (a name other than `*`). */
  readonly needsTls: boolean;
}

/** Parses and compiles a TCP rule; throws RuleSyntaxError naming the fault. */
export function compileTcpRule(rule: string): CompiledTcpRule {
  const ast = parseRule(rule, TCP_MATCHERS);
  const match = compileNode(rule, ast);
  const catchAll = ast.kind === 'matcher' && ast.name === 'HostSNI' && ast.args[0] === '*';
  return { rule, ast, match, catchAll, needsTls: needsTls(ast) };
}

function needsTls(node: RuleNode): boolean {
  switch (node.kind) {
    case 'matcher':
      return (node.name === 'HostSNI' && node.args[0] !== '*') || node.name === 'HostSNIRegexp' || node.name === 'ALPN';
    case 'not':
      return needsTls(node.child);
    default:
      return node.children.some(needsTls);
  }
}

function compileNode(rule: string, node: RuleNode): TcpMatcher {
  switch (node.kind) {
    case 'matcher': {
      const definition = TCP_MATCHERS.find(node.name) as TcpMatcherDefinition;
      try {
        return definition.build(node.args[0] as string).match;
      } catch (error) {
        if (error instanceof ArgumentError) {
          throw new RuleSyntaxError(`${node.name}: ${error.message}`, rule, node.argStarts[0] ?? node.start);
        }
        throw error;
      }
    }
    case 'not': {
      const child = compileNode(rule, node.child);
      return (input) => !child(input);
    }
    case 'and': {
      const children = node.children.map((c) => compileNode(rule, c));
      return (input) => children.every((c) => c(input));
    }
    case 'or': {
      const children = node.children.map((c) => compileNode(rule, c));
      return (input) => children.some((c) => c(input));
    }
  }
}

/** One node of a TCP rule's verdict, for `switchyard explain`. */
export interface TcpRuleExplanation {
  text: string;
  matched: boolean;
  children: TcpRuleExplanation[];
  reason?: string;
}

/** Evaluates every node of a TCP rule on a connection and says why (no short-circuit). */
export function explainTcpRule(rule: string, input: TcpMatchInput): TcpRuleExplanation {
  const ast = parseRule(rule, TCP_MATCHERS);
  return explainNode(rule, ast, input);
}

function explainNode(rule: string, node: RuleNode, input: TcpMatchInput): TcpRuleExplanation {
  const text = rule.slice(node.start, node.end);
  switch (node.kind) {
    case 'matcher': {
      const built = (TCP_MATCHERS.find(node.name) as TcpMatcherDefinition).build(node.args[0] as string);
      return { text, matched: built.match(input), children: [], reason: built.explain(input) };
    }
    case 'not': {
      const child = explainNode(rule, node.child, input);
      return { text, matched: !child.matched, children: [child] };
    }
    default: {
      const children = node.children.map((c) => explainNode(rule, c, input));
      const matched = node.kind === 'and' ? children.every((c) => c.matched) : children.some((c) => c.matched);
      return { text, matched, children };
    }
  }
}
