import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestContext } from '../core/request-context.js';
import { LATENCY_BUCKETS, latencyBucket, latencyQuantile } from './latency-histogram.js';
import { StatsRecorder } from './stats-recorder.js';
import {
  C_LATENCY,
  C_REQUESTS,
  C_STATUS,
  mergeStats,
  type StatsSnapshot,
  seriesKey,
  seriesLabels,
} from './stats-snapshot.js';

const options = { promBuckets: [0.1, 1], entryPointSeries: true, routerSeries: true, serviceSeries: true };

function context(server: string, status: number, method = 'GET'): RequestContext {
  return {
    req: { method, url: `/p?q=${server}` },
    res: { statusCode: status, headersSent: true },
    path: '/p',
    query: '',
    host: 'example.test',
    scheme: 'http',
    entryPoint: 'web',
    router: 'app@file',
    responseHeaders: null,
    strippedPrefix: null,
    service: 'app@file',
    serverUrl: server,
    retries: 0,
  } as unknown as RequestContext;
}

function withoutTimes(snapshot: StatsSnapshot): unknown {
  return {
    ...snapshot,
    at: 0,
    recent: snapshot.recent.map((r) => ({ ...r, time: 0, durationMs: 0 })),
    // Durations differ run to run; only the number of samples per slot is compared.
    ...Object.fromEntries(
      (['entryPoints', 'routers', 'services', 'servers'] as const).map((kind) => [
        kind,
        Object.fromEntries(
          Object.entries(snapshot[kind]).map(([name, slot]) => [
            name,
            {
              requests: slot.counts[C_REQUESTS],
              status: slot.counts.slice(C_STATUS, C_STATUS + 5),
              series: Object.fromEntries(Object.entries(slot.series).map(([k, v]) => [k, v[0]])),
            },
          ]),
        ),
      ]),
    ),
  };
}

describe('statistics snapshots', () => {
  it('merge two workers into what one process seeing all requests would report, through JSON', () => {
    const one = new StatsRecorder(options);
    const left = new StatsRecorder(options);
    const right = new StatsRecorder(options);
    const requests = [
      context('http://a', 200),
      context('http://b', 200),
      context('http://a', 404),
      context('http://b', 502, 'POST'),
      context('http://a', 200, 'PURGE'),
    ];
    requests.forEach((ctx, i) => {
      const startedAt = performance.now();
      one.record(ctx, startedAt, 100, 10);
      (i % 2 === 0 ? left : right).record(ctx, startedAt, 100, 10);
    });
    const viaJson = (s: StatsSnapshot) => JSON.parse(JSON.stringify(s)) as StatsSnapshot;
    const merged = mergeStats([viaJson(left.snapshot(true)), viaJson(right.snapshot(true))]);
    const whole = one.snapshot(true);
    assert.deepEqual(withoutTimes(merged), withoutTimes({ ...whole, recent: merged.recent }));
    assert.equal(merged.recent.length, 5);
    assert.equal(merged.servers['http://a']?.counts[C_REQUESTS], 3);
    assert.equal(merged.services['app@file']?.counts[C_STATUS + 4], 1, 'one 5xx');
  });

  it('drains recent requests once, without their query string', () => {
    const recorder = new StatsRecorder(options);
    recorder.record(context('http://a', 200), performance.now(), 0, 0);
    const first = recorder.snapshot(true).recent;
    assert.equal(first.length, 1);
    assert.equal(first[0]?.path, '/p');
    assert.equal(recorder.snapshot(true).recent.length, 0);
  });

  it('leaves requests to internal routers out', () => {
    const recorder = new StatsRecorder(options);
    recorder.record(
      { ...context('', 200), router: 'api@internal', service: '' } as RequestContext,
      performance.now(),
      0,
      0,
    );
    assert.deepEqual(recorder.snapshot(true).entryPoints, {});
  });

  it('turns series keys back into bounded labels', () => {
    assert.deepEqual(seriesLabels(seriesKey(1, 2, 404)), { code: '404', method: 'POST', protocol: 'websocket' });
    assert.deepEqual(seriesLabels(seriesKey(0, 9, 200)), { code: '200', method: 'EXTENSION_METHOD', protocol: 'http' });
  });

  it('estimates quantiles within a bucket of the true value', () => {
    const counts = new Array<number>(C_LATENCY + LATENCY_BUCKETS).fill(0);
    for (let ms = 1; ms <= 100; ms++) counts[C_LATENCY + latencyBucket(ms)]++;
    const p50 = latencyQuantile(counts, C_LATENCY, 0.5) ?? 0;
    const p99 = latencyQuantile(counts, C_LATENCY, 0.99) ?? 0;
    assert.ok(p50 > 50 / 1.25 && p50 < 50 * 1.25, `p50 ${p50}`);
    assert.ok(p99 > 99 / 1.25 && p99 < 99 * 1.25, `p99 ${p99}`);
    assert.equal(latencyQuantile(new Array(C_LATENCY + LATENCY_BUCKETS).fill(0), C_LATENCY, 0.5), null);
  });
});
