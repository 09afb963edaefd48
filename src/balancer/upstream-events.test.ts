import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { waitFor } from '../../test/helpers/http.js';
import { HealthChecker } from './health-check.js';
import type { ProbeSpec } from './health-probe.js';
import { PassiveHealthPolicy } from './passive-health.js';
import type { Candidate } from './strategy.js';
import type { UpstreamChange } from './upstream-events.js';
import { UpstreamRegistry as Registry, type UpstreamRegistry, type UpstreamState } from './upstream-state.js';
import { WeightedRoundRobin } from './wrr.js';

/** A server as a balancer sees it: its shared upstream state. */
function candidate(state: UpstreamState): Candidate {
  return { key: state.url, weight: 1, available: (now) => state.available(now), load: () => state.inFlight };
}

function probeSpec(url: string): ProbeSpec {
  return {
    url,
    method: 'GET',
    hostname: undefined,
    headers: {},
    status: 0,
    followRedirects: false,
    timeout: 500,
    interval: 10,
    unhealthyInterval: 10,
    insecureSkipVerify: false,
  };
}

function record(upstreams: UpstreamRegistry): UpstreamChange[] {
  const changes: UpstreamChange[] = [];
  upstreams.events.on((change) => changes.push(change));
  return changes;
}

describe('upstream events', () => {
  it('announce an active health change DOWN → UP once, however many probes agree', async () => {
    let healthy = false;
    let probes = 0;
    const server = createServer((_req, res) => {
      probes++;
      res.writeHead(healthy ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const upstreams = new Registry();
    const changes = record(upstreams);
    const checker = new HealthChecker(upstreams);
    try {
      checker.sync(new Map([[url, probeSpec(url)]]), new Set([url]));
      await waitFor(() => probes >= 3, { timeout: 3000, interval: 5, what: 'three failing probes' });
      healthy = true;
      const seen = probes;
      await waitFor(() => probes >= seen + 4, { timeout: 3000, interval: 5, what: 'four more probes' });
      assert.deepEqual(changes, [
        { url, cause: 'active-health', available: false },
        { url, cause: 'active-health', available: true },
      ]);
    } finally {
      checker.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reach a balancer that stops picking the server from the moment its DOWN is announced', () => {
    const upstreams = new Registry();
    const [a, b] = [upstreams.get('http://a'), upstreams.get('http://b')];
    const balancer = new WeightedRoundRobin([candidate(a), candidate(b)]);
    const pickedAfterDown: string[] = [];
    upstreams.events.on((change) => {
      if (change.url !== a.url || change.available) return;
      for (let i = 0; i < 10; i++) pickedAfterDown.push(balancer.next(Date.now(), '', null)?.key ?? 'none');
    });
    assert.equal(balancer.next(Date.now(), '', null)?.key, a.url);
    a.setActiveHealth('DOWN');
    assert.deepEqual(pickedAfterDown, Array(10).fill(b.url));
  });

  it('announce passive health going down, and up again when its window ends', async () => {
    const upstreams = new Registry();
    const state = upstreams.get('http://a');
    const changes = record(upstreams);
    const policy = new PassiveHealthPolicy(50, 1);
    policy.failed(state, Date.now());
    policy.failed(state, Date.now());
    assert.deepEqual(changes, [{ url: 'http://a', cause: 'passive-health', available: false }]);
    await waitFor(() => changes.length === 2, {
      timeout: 3000,
      interval: 5,
      what: 'the end of the window to be announced',
    });
    assert.deepEqual(changes[1], { url: 'http://a', cause: 'passive-health', available: true });
  });

  it('announce nothing when a change leaves the state as it was', () => {
    const upstreams = new Registry();
    const state = upstreams.get('http://a');
    const changes = record(upstreams);
    state.setActiveHealth('UP');
    state.setDraining(false);
    assert.deepEqual(changes, []);
  });
});
