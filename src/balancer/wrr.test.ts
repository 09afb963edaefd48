import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeightedRoundRobin } from './wrr.js';

function candidate(name: string, weight: number, up = { value: true }) {
  return { name, weight, available: () => up.value };
}

describe('WeightedRoundRobin', () => {
  it('alternates evenly between equal weights', () => {
    const wrr = new WeightedRoundRobin([candidate('a', 1), candidate('b', 1)]);
    const picks = Array.from({ length: 6 }, () => wrr.next(0)?.name);
    assert.deepEqual(picks, ['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('spreads weights 3:1 smoothly as a a b a', () => {
    const wrr = new WeightedRoundRobin([candidate('a', 3), candidate('b', 1)]);
    const picks = Array.from({ length: 8 }, () => wrr.next(0)?.name);
    assert.deepEqual(picks, ['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
  });

  it('skips unavailable candidates and never picks weight 0', () => {
    const down = { value: false };
    const wrr = new WeightedRoundRobin([candidate('a', 1, down), candidate('b', 1), candidate('c', 0)]);
    const picks = Array.from({ length: 3 }, () => wrr.next(0)?.name);
    assert.deepEqual(picks, ['b', 'b', 'b']);
  });

  it('returns undefined when nothing is available', () => {
    const wrr = new WeightedRoundRobin([candidate('a', 1, { value: false })]);
    assert.equal(wrr.next(0), undefined);
  });
});
