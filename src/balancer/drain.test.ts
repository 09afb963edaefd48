import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Drainer } from './drain.js';
import type { UpstreamChange } from './upstream-events.js';
import { UpstreamRegistry } from './upstream-state.js';

const A = 'http://127.0.0.1:9001';
const B = 'http://127.0.0.1:9002';

/** A drainer over a real registry, with no pooled connections to close. */
function drainer(graceMs = 10_000): { upstreams: UpstreamRegistry; drainer: Drainer } {
  const upstreams = new UpstreamRegistry();
  return { upstreams, drainer: new Drainer(upstreams, () => [], graceMs) };
}

describe('Drainer', () => {
  it('answers a provider at once, as idle, when the leaving server has nothing in flight', async () => {
    const { upstreams, drainer: d } = drainer();
    upstreams.get(A);
    d.update(new Set([A]));
    const outcome = await d.drain(A);
    assert.equal(outcome.ended, 'idle');
    assert.equal(outcome.inFlight, 0);
    assert.equal(upstreams.peek(A)?.draining, true, 'still listed by the configuration: it stays out of rotation');
    d.update(new Set());
    assert.equal(upstreams.peek(A), undefined, 'the rebuild that drops it forgets its state');
    d.stop();
  });

  it('ends the wait as returned, and lets balancers pick the server again, when a configuration lists it again', async () => {
    const { upstreams, drainer: d } = drainer();
    const state = upstreams.get(A);
    d.update(new Set([A]));
    state.inFlight = 1;
    const outcome = d.drain(A);
    d.update(new Set([A, B]));
    assert.equal((await outcome).ended, 'returned');
    assert.equal(state.available(Date.now()), true);
    d.stop();
  });

  it('gives up after the grace period, saying how many requests were still in flight', async () => {
    const { upstreams, drainer: d } = drainer(60);
    upstreams.get(A).inFlight = 2;
    d.update(new Set([A]));
    const outcome = await d.drain(A);
    assert.equal(outcome.ended, 'grace');
    assert.equal(outcome.inFlight, 2);
    assert.ok(outcome.waitedMs >= 60);
    d.stop();
  });

  it('announces draining once when it starts and once when the server returns', () => {
    const { upstreams, drainer: d } = drainer();
    upstreams.get(A);
    const changes: UpstreamChange[] = [];
    upstreams.events.on((change) => changes.push(change));
    d.update(new Set([A]));
    upstreams.get(A).inFlight = 1;
    void d.drain(A);
    void d.drain(A);
    d.update(new Set());
    d.update(new Set([A]));
    assert.deepEqual(changes, [
      { url: A, cause: 'draining', available: false },
      { url: A, cause: 'draining', available: true },
    ]);
    d.stop();
  });

  it('ends pending waits as stopped on shutdown', async () => {
    const { upstreams, drainer: d } = drainer();
    upstreams.get(A).inFlight = 1;
    const outcome = d.drain(A);
    d.stop();
    assert.equal((await outcome).ended, 'stopped');
  });
});
