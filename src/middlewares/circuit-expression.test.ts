import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Breaker } from './circuit-breaker.js';
import { type CircuitMetrics, compileCircuitExpression } from './circuit-expression.js';
import { RollingMetrics } from './circuit-metrics.js';

function metrics(values: { net?: number; codes?: number; latency?: number }): CircuitMetrics {
  return {
    networkErrorRatio: () => values.net ?? 0,
    responseCodeRatio: () => values.codes ?? 0,
    latencyAtQuantileMS: () => values.latency ?? 0,
  };
}

describe('circuitBreaker expressions', () => {
  it('compares each metric with a threshold', () => {
    assert.equal(compileCircuitExpression('NetworkErrorRatio() > 0.5')(metrics({ net: 0.6 })), true);
    assert.equal(compileCircuitExpression('NetworkErrorRatio() > 0.5')(metrics({ net: 0.5 })), false);
    assert.equal(compileCircuitExpression('ResponseCodeRatio(500, 600, 0, 600) > 0.25')(metrics({ codes: 0.3 })), true);
    assert.equal(compileCircuitExpression('LatencyAtQuantileMS(50.0) > 100')(metrics({ latency: 99 })), false);
    assert.equal(compileCircuitExpression('LatencyAtQuantileMS(50.0) >= 99')(metrics({ latency: 99 })), true);
  });

  it('binds && tighter than || and honours parentheses', () => {
    const loose = compileCircuitExpression(
      'NetworkErrorRatio() > 0.5 || ResponseCodeRatio(500, 600, 0, 600) > 0.25 && LatencyAtQuantileMS(50) > 100',
    );
    assert.equal(loose(metrics({ net: 0.9 })), true);
    const grouped = compileCircuitExpression(
      '(NetworkErrorRatio() > 0.5 || ResponseCodeRatio(500, 600, 0, 600) > 0.25) && LatencyAtQuantileMS(50) > 100',
    );
    assert.equal(grouped(metrics({ net: 0.9 })), false);
    assert.equal(grouped(metrics({ net: 0.9, latency: 200 })), true);
  });

  it('says where an expression is wrong', () => {
    assert.throws(() => compileCircuitExpression('NetworkErrorRatio() >'), /expected a number at position 21/);
    assert.throws(() => compileCircuitExpression('Foo() > 1'), /unknown function "Foo" at position 0/);
    assert.throws(() => compileCircuitExpression('ResponseCodeRatio(500, 600) > 0.1'), /takes 4 arguments, got 2/);
    assert.throws(() => compileCircuitExpression('NetworkErrorRatio() > 0.5 &&'), /at position 28/);
    assert.throws(() => compileCircuitExpression(''), /empty expression/);
  });
});

describe('rolling metrics', () => {
  it('computes ratios and quantiles over the last 10 seconds only', () => {
    const m = new RollingMetrics();
    for (let i = 0; i < 6; i++) m.record(200, 10 + i, 1_000);
    m.record(502, 50, 2_000);
    m.record(500, 60, 2_000);
    m.at(2_500);
    assert.equal(m.networkErrorRatio(), 1 / 8);
    assert.equal(m.responseCodeRatio(500, 600, 0, 600), 2 / 8);
    assert.equal(m.latencyAtQuantileMS(50), 13);
    assert.equal(m.at(11_100).networkErrorRatio(), 1 / 2, 'the 1 s bucket aged out, the 2 s one did not');
    assert.equal(m.at(12_000).networkErrorRatio(), 0);
  });
});

describe('breaker states', () => {
  it('trips when the expression holds, falls back, then recovers gradually to standby', () => {
    let r = 0.5;
    const breaker = new Breaker(compileCircuitExpression('NetworkErrorRatio() > 0.5'), 100, 1000, 1000, () => r);
    assert.equal(breaker.allow(0), true);
    breaker.record(502, 1, 0);
    assert.equal(breaker.allow(100), false, 'tripped at the next check');
    assert.equal(breaker.state, 'tripped');
    assert.equal(breaker.allow(1099), false);
    // Recovery starts at 1100: at 1350 a quarter of requests go through.
    assert.equal(breaker.allow(1100), false);
    assert.equal(breaker.state, 'recovering');
    r = 0.2;
    assert.equal(breaker.allow(1350), true);
    r = 0.3;
    assert.equal(breaker.allow(1350), false);
    assert.equal(breaker.allow(2100), true);
    assert.equal(breaker.state, 'standby');
  });
});
