import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassiveHealthPolicy } from './passive-health.js';
import { UpstreamState } from './upstream-state.js';

describe('passive health', () => {
  it('takes a server out for the window after maxFailedAttempts failures in a row, then lets it back', () => {
    const policy = new PassiveHealthPolicy(1000, 3);
    const state = new UpstreamState('http://s');
    policy.failed(state, 0);
    policy.answered(state, 502, 10);
    assert.equal(state.available(20), true);
    assert.equal(policy.failed(state, 20), true);
    assert.equal(state.available(500), false);
    assert.equal(state.available(1020), true);
  });

  it('forgets failures on a good answer and once the window has passed', () => {
    const policy = new PassiveHealthPolicy(1000, 2);
    const state = new UpstreamState('http://s');
    policy.failed(state, 0);
    policy.answered(state, 404, 1);
    assert.equal(policy.failed(state, 2), false, 'the 404 reset the count');
    assert.equal(policy.failed(state, 1500), false, 'the first failure left the window');
    assert.equal(policy.failed(state, 1600), true);
  });
});
