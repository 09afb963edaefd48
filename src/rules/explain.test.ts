import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRuleMatcher, hasHostMatcher } from './compile.js';
import { explainRule, formatExplanation } from './explain.js';
import type { MatchInput } from './types.js';

const input: MatchInput = {
  method: 'GET',
  host: 'b.com',
  path: '/api/x',
  query: 'q=a+b',
  headers: { 'x-a': '2' },
  remoteAddress: '10.0.0.1',
};

describe('explainRule', () => {
  it('reports every node with its source text, verdict and, for leaves, the reason', () => {
    const compiled = compileRuleMatcher('!(Host(`a.com`) || Header(`X-A`, `1`)) && PathPrefix(`/api`)');
    assert.deepEqual(explainRule(compiled, input), {
      text: '!(Host(`a.com`) || Header(`X-A`, `1`)) && PathPrefix(`/api`)',
      matched: true,
      children: [
        {
          text: '!(Host(`a.com`) || Header(`X-A`, `1`))',
          matched: true,
          children: [
            {
              text: '(Host(`a.com`) || Header(`X-A`, `1`))',
              matched: false,
              children: [
                { text: 'Host(`a.com`)', matched: false, children: [], reason: 'host "b.com" does not match "a.com"' },
                {
                  text: 'Header(`X-A`, `1`)',
                  matched: false,
                  children: [],
                  reason: 'header X-A is "2": does not match "1"',
                },
              ],
            },
          ],
        },
        { text: 'PathPrefix(`/api`)', matched: true, children: [], reason: 'path "/api/x" starts with "/api"' },
      ],
    });
  });

  it('evaluates every operand, even those a short-circuit would skip', () => {
    const compiled = compileRuleMatcher('Method(`POST`) && Query(`q`, `a b`) && ClientIP(`10.0.0.0/8`)');
    const explanation = explainRule(compiled, input);
    assert.equal(explanation.matched, false);
    assert.deepEqual(
      explanation.children.map((c) => [c.matched, c.reason]),
      [
        [false, 'method "GET" is not "POST"'],
        [true, 'query q is ["a b"]: matches "a b"'],
        [true, 'client IPv4 "10.0.0.1" is in 10.0.0.0/8'],
      ],
    );
  });

  it('agrees with the compiled predicate', () => {
    for (const rule of ['Host(`b.com`) || Path(`/`)', 'Host(`x`) || !Path(`/`) && Method(`GET`)', 'Query(`none`)']) {
      const compiled = compileRuleMatcher(rule);
      assert.equal(explainRule(compiled, input).matched, compiled.match({ ...input }), rule);
    }
  });

  it('formats an explanation as an indented tree with a mark per node', () => {
    const compiled = compileRuleMatcher('Host(`b.com`) && Method(`PUT`)');
    assert.equal(
      formatExplanation(explainRule(compiled, input)),
      [
        '✗ Host(`b.com`) && Method(`PUT`)',
        '  ✓ Host(`b.com`)  — host "b.com" matches "b.com"',
        '  ✗ Method(`PUT`)  — method "GET" is not "PUT"',
      ].join('\n'),
    );
  });
});

describe('hasHostMatcher', () => {
  it('tells whether a rule constrains the host anywhere', () => {
    assert.equal(hasHostMatcher(compileRuleMatcher('PathPrefix(`/`) && !HostRegexp(`x`)').ast), true);
    assert.equal(hasHostMatcher(compileRuleMatcher('Host(`a`)').ast), true);
    assert.equal(hasHostMatcher(compileRuleMatcher('PathPrefix(`/`) || Method(`GET`)').ast), false);
  });
});
