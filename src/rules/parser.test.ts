import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleSyntaxError } from '../errors.js';
import type { RuleNode } from './ast.js';
import { parseRule } from './parser.js';

/** A compact picture of a tree: and(…), or(…), not(…), Name(args). */
function shape(node: RuleNode): string {
  switch (node.kind) {
    case 'matcher':
      return `${node.name}(${node.args.join(',')})`;
    case 'not':
      return `not(${shape(node.child)})`;
    default:
      return `${node.kind}(${node.children.map(shape).join(' ')})`;
  }
}

function syntaxError(rule: string): RuleSyntaxError {
  try {
    parseRule(rule);
  } catch (error) {
    assert.ok(error instanceof RuleSyntaxError, `expected RuleSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`rule ${rule} parsed but should not`);
}

describe('parseRule', () => {
  const trees: Array<[rule: string, tree: string]> = [
    ['Host(`a.com`)', 'Host(a.com)'],
    ['Host("a.com")', 'Host(a.com)'],
    ['Host(`a`) && Path(`/b`)', 'and(Host(a) Path(/b))'],
    ['Host(`a`) || Path(`/b`) && Method(`GET`)', 'or(Host(a) and(Path(/b) Method(GET)))'],
    ['Host(`a`) && Path(`/b`) || Method(`GET`)', 'or(and(Host(a) Path(/b)) Method(GET))'],
    ['(Host(`a`) || Path(`/b`)) && Method(`GET`)', 'and(or(Host(a) Path(/b)) Method(GET))'],
    ['!Host(`a`) && Path(`/b`)', 'and(not(Host(a)) Path(/b))'],
    ['!(Host(`a`) && Path(`/b`))', 'not(and(Host(a) Path(/b)))'],
    ['!!Host(`a`)', 'not(not(Host(a)))'],
    ['Host(`a`) && Path(`/b`) && Method(`GET`)', 'and(Host(a) Path(/b) Method(GET))'],
    ['Header(`X-A`, `1`)', 'Header(X-A,1)'],
    ['Query(`k`)', 'Query(k)'],
    ['Query(`k`, `v`,)', 'Query(k,v)'],
    ['  Host(`a`)\n\t&&\r\nPath(`/`)  ', 'and(Host(a) Path(/))'],
    ['((Host(`a`)))', 'Host(a)'],
    ['PathRegexp("^/\\\\d+$")', 'PathRegexp(^/\\d+$)'],
  ];
  for (const [rule, tree] of trees) {
    it(`parses ${JSON.stringify(rule)} as ${tree}`, () => {
      assert.equal(shape(parseRule(rule)), tree);
    });
  }

  it('accepts the four spellings Traefik accepts for a matcher name', () => {
    for (const spelling of ['PathPrefix', 'pathprefix', 'PATHPREFIX', 'Pathprefix']) {
      assert.equal(shape(parseRule(`${spelling}(\`/a\`)`)), 'PathPrefix(/a)', spelling);
    }
    for (const spelling of ['ClientIP', 'clientip', 'CLIENTIP', 'Clientip']) {
      assert.equal(shape(parseRule(`${spelling}(\`10.0.0.1\`)`)), 'ClientIP(10.0.0.1)', spelling);
    }
  });

  it('keeps each node span so that its text is the source it came from', () => {
    const rule = '!(Host(`a`) || Path(`/b`)) && Method(`GET`)';
    const ast = parseRule(rule);
    assert.equal(ast.kind, 'and');
    if (ast.kind !== 'and') return;
    assert.equal(rule.slice(ast.start, ast.end), rule);
    assert.equal(rule.slice(ast.children[0]!.start, ast.children[0]!.end), '!(Host(`a`) || Path(`/b`))');
    assert.equal(rule.slice(ast.children[1]!.start, ast.children[1]!.end), 'Method(`GET`)');
  });

  it('records where each argument starts', () => {
    const ast = parseRule('Header(`X`,  "y")');
    assert.equal(ast.kind, 'matcher');
    if (ast.kind === 'matcher') assert.deepEqual(ast.argStarts, [7, 13]);
  });

  const errors: Array<[rule: string, position: number, fragment: RegExp]> = [
    ['', 0, /empty rule/],
    ['   ', 0, /empty rule/],
    ['pathPrefix(`/a`)', 0, /unknown matcher pathPrefix; accepted spellings are PathPrefix/],
    ['PathPREFIX(`/a`)', 0, /unknown matcher/],
    ['Headers(`X`, `1`)', 0, /Traefik v2 name; v3 uses Header/],
    ['HostHeader(`a`)', 0, /Traefik v2 name; v3 uses Host/],
    ['Host(`a`) && Nope(`x`)', 13, /unknown matcher Nope/],
    ["Host('a')", 5, /single quotes/],
    ['Host("\\d")', 6, /unknown escape sequence \\d/],
    ['Host("a\nb")', 7, /newline/],
    ['Host(`a`', 8, /expected "," or "\)"/],
    ['Host(`a)', 5, /unterminated backtick/],
    ['Host("a)', 5, /unterminated double-quoted/],
    ['(Host(`a`)', 10, /missing '\)'/],
    ['Host(`a`))', 9, /unbalanced '\)'/],
    ['Host(`a`) &&', 12, /expected a matcher/],
    ['Host(`a`) ||', 12, /expected a matcher/],
    ['Host(`a`) && || Path(`/`)', 13, /expected a matcher, "!" or "\(", found "\|\|"/],
    ['&& Host(`a`)', 0, /expected a matcher/],
    ['Host(`a`) & Path(`/`)', 10, /the AND operator is '&&'/],
    ['Host(`a`) | Path(`/`)', 10, /the OR operator is '\|\|'/],
    ['Host(`a`) Path(`/`)', 10, /unexpected identifier Path/],
    ['Host', 4, /expected "\(" after Host/],
    ['Host()', 5, /Host takes 1 argument, got 0/],
    ['Host(``)', 5, /empty argument to Host/],
    ['Header(`X`, "")', 12, /empty argument to Header/],
    ['Host(`a`, `b`)', 10, /Host takes 1 argument, got 2/],
    ['Header(`X-A`)', 12, /Header takes 2 arguments, got 1/],
    ['Query(`a`, `b`, `c`)', 16, /Query takes 1 or 2 arguments, got 3/],
    ['Host(a)', 5, /unexpected identifier a in arguments of Host/],
    ['Host(`a`,,)', 9, /unexpected "," in arguments/],
    ['()', 1, /expected a matcher, "!" or "\(", found "\)"/],
    ['Host(`a`) && !', 14, /expected a matcher/],
    ['Host(`a`) == Path(`/`)', 10, /unexpected character "="/],
  ];
  for (const [rule, position, fragment] of errors) {
    it(`rejects ${JSON.stringify(rule)} at position ${position}`, () => {
      const error = syntaxError(rule);
      assert.equal(error.position, position);
      assert.match(error.message, fragment);
      assert.equal(error.code, 'SY_ERR_RULE_SYNTAX');
      assert.equal(error.rule, rule);
    });
  }
});
