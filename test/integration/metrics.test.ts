import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caughtAtBoundary } from '../../src/core/last-resort.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for these metrics). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('Prometheus metrics', () => {
  let a: Backend;
  let b: Backend;
  let proxy: TestProxy;
  let metricsUrl: string;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b', (req, res) => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200);
      res.end('b');
    });
    proxy = await startProxy(
      {
        http: {
          routers: {
            app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] },
            other: { rule: 'PathPrefix(`/missing`)', service: 'other', entryPoints: ['web'] },
          },
          services: {
            app: { loadBalancer: { servers: [{ url: a.url }] } },
            other: { loadBalancer: { servers: [{ url: b.url }, { url: 'http://127.0.0.1:1' }] } },
          },
        },
      },
      [
        '--entryPoints.traefik.address=127.0.0.1:0',
        '--metrics.prometheus=true',
        '--metrics.prometheus.addRoutersLabels=true',
        '--metrics.prometheus.buckets=0.1,0.3,1.2,5',
      ],
    );
    metricsUrl = `http://127.0.0.1:${proxy.app.entryPoints.get('traefik')?.port}/metrics`;
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([a.close(), b.close()]);
  });

  it('counts requests exactly per entry point, router and service, by code and method, with histograms', async () => {
    for (let i = 0; i < 30; i++) assert.equal((await send(`${proxy.url}/page/${i}`)).status, 200);
    for (let i = 0; i < 4; i++) await send(`${proxy.url}/page`, { method: 'POST', body: 'x' });
    // The `other` service has a dead second server: requests to it get 502 or the backend's 404.
    const otherCodes: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const { status } = await send(`${proxy.url}/missing/${i}`);
      otherCodes[status] = (otherCodes[status] ?? 0) + 1;
    }
    const expectedTotal = 40;
    const samples = (await waitFor(
      async () => {
        const parsed = parse((await send(metricsUrl)).text);
        const sum = parsed
          .filter((s) => s.name === 'switchyard_entrypoint_requests_total' && s.labels.entrypoint === 'web')
          .reduce((total, s) => total + s.value, 0);
        return sum === expectedTotal ? parsed : undefined;
      },
      { what: `${expectedTotal} requests in switchyard_entrypoint_requests_total` },
    )) as Sample[];
    const get = { code: '200', method: 'GET', protocol: 'http' };
    assert.equal(value(samples, 'switchyard_entrypoint_requests_total', { ...get, entrypoint: 'web' }), 30);
    assert.equal(value(samples, 'switchyard_service_requests_total', { ...get, service: 'app@file' }), 30);
    assert.equal(
      value(samples, 'switchyard_service_requests_total', { ...get, method: 'POST', service: 'app@file' }),
      4,
    );
    assert.equal(
      value(samples, 'switchyard_router_requests_total', { ...get, router: 'app@file', service: 'app@file' }),
      30,
    );
    for (const [code, count] of Object.entries(otherCodes)) {
      assert.equal(
        value(samples, 'switchyard_service_requests_total', { code, method: 'GET', service: 'other@file' }),
        count,
      );
    }
    const labels = { ...get, service: 'app@file' };
    assert.equal(value(samples, 'switchyard_service_request_duration_seconds_count', labels), 30);
    assert.equal(value(samples, 'switchyard_service_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), 30);
    const buckets = ['0.1', '0.3', '1.2', '5'].map(
      (le) => value(samples, 'switchyard_service_request_duration_seconds_bucket', { ...labels, le }) ?? -1,
    );
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i] as number) >= (buckets[i - 1] as number));
    assert.ok((buckets[3] as number) <= 30);
    assert.ok((value(samples, 'switchyard_service_request_duration_seconds_sum', labels) ?? -1) > 0);
    assert.ok((value(samples, 'switchyard_entrypoint_responses_bytes_total', { ...get, entrypoint: 'web' }) ?? 0) > 0);
  });

  it('exposes server health, reloads, last reload time and open connections', async () => {
    const samples = parse((await send(metricsUrl)).text);
    assert.equal(value(samples, 'switchyard_service_server_up', { service: 'app@file', url: a.url }), 1);
    assert.equal(value(samples, 'switchyard_service_server_up', { service: 'other@file', url: b.url }), 1);
    assert.ok((value(samples, 'switchyard_config_reloads_total', {}) ?? 0) >= 1);
    const last = value(samples, 'switchyard_config_last_reload_success', {}) ?? 0;
    assert.ok(Math.abs(last - Date.now() / 1000) < 600, `last reload ${last} is not a recent Unix time`);
    assert.ok(value(samples, 'switchyard_open_connections', { entrypoint: 'traefik' }) !== undefined);
    assert.equal(value(samples, 'switchyard_open_connections', { entrypoint: 'web' }), 0);
  });

  it('counts the errors the last-resort guards caught', async () => {
    const read = async () =>
      value(parse((await send(metricsUrl)).text), 'switchyard_errors_caught_total', { where: 'request_path' }) ?? -1;
    const before = await read();
    assert.ok(before >= 0, 'the counter is exposed');
    caughtAtBoundary(new Error('a defect for the test'), 'metrics test');
    assert.equal(await read(), before + 1);
  });

  it('keeps labels bounded: no paths, and unknown methods become EXTENSION_METHOD', async () => {
    await send(`${proxy.url}/weird`, { method: 'PURGE' });
    const samples = (await waitFor(async () => {
      const parsed = parse((await send(metricsUrl)).text);
      return value(parsed, 'switchyard_entrypoint_requests_total', { method: 'EXTENSION_METHOD' }) === 1
        ? parsed
        : undefined;
    })) as Sample[];
    for (const sample of samples) {
      for (const label of Object.values(sample.labels))
        assert.ok(!label.startsWith('/'), `a path leaked into ${sample.name}`);
    }
    assert.equal(
      samples.filter((s) => s.name.startsWith('switchyard_') && s.labels.router === 'prometheus@internal').length,
      0,
      'scrapes are not counted',
    );
  });
});
