import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileReplayExpression } from './buffer-retry-expression.js';

const facts = (attempts: number, responseCode: number, method = 'GET') => ({ attempts, responseCode, method });

describe("buffering's retryExpression", () => {
  it("evaluates Traefik's functions, comparisons and combinations", () => {
    const network = compileReplayExpression('IsNetworkError() && Attempts() < 2');
    assert.equal(network(facts(1, 502)), true);
    assert.equal(network(facts(1, 504)), true);
    assert.equal(network(facts(2, 502)), false);
    assert.equal(network(facts(1, 500)), false);
    const codes = compileReplayExpression('(ResponseCode() >= 500 || ResponseCode() == 429) && Attempts() <= 3');
    assert.equal(codes(facts(3, 429)), true);
    assert.equal(codes(facts(4, 503)), false);
    assert.equal(codes(facts(1, 404)), false);
    const method = compileReplayExpression('RequestMethod() == "GET" && ResponseCode() != 200');
    assert.equal(method(facts(1, 503)), true);
    assert.equal(method(facts(1, 503, 'POST')), false);
    assert.equal(compileReplayExpression('attempts() < 2')(facts(1, 200)), true);
  });

  it('names the fault and its position', () => {
    const fault = (source: string) => {
      try {
        compileReplayExpression(source);
      } catch (error) {
        return (error as Error).message;
      }
      return 'compiled';
    };
    assert.equal(fault(''), 'empty expression');
    assert.equal(fault('Attempts()'), 'expected a comparison (>, <, >=, <=, ==, !=) at position 10');
    assert.equal(fault('Foo() > 1'), 'unknown function "Foo" at position 0');
    assert.equal(fault('Attempts() < "x"'), 'expected a number at position 13');
    assert.equal(fault('RequestMethod() == 2'), 'expected a quoted string at position 19');
    assert.equal(
      fault('IsNetworkError() == 1'),
      'IsNetworkError() is compared with nothing: use it alone at position 17',
    );
    assert.equal(
      fault('Attempts() < 2 &&'),
      'expected Attempts(), ResponseCode(), IsNetworkError() or RequestMethod() at position 17',
    );
    assert.equal(fault('Attempts() < 2 )'), 'unexpected token at position 15');
    assert.equal(fault('Attempts() < 2 ; x'), 'unexpected character at position 15');
  });
});
