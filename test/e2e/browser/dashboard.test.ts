/**
 * The dashboard in a real headless Chromium against a real Switchyard (in-process) and two real
 * backends: pages show the API's numbers, live traffic shows both servers of a service, a broken
 * router appears in the error banner, and losing the proxy shows "disconnected".
 * Screenshots go to test-artifacts/ (gitignored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../../src/dashboard/serve.js';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { browserSkipReason, firstPage, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { send, waitFor } from '../../helpers/http.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

const skip = browserSkipReason();
const root = projectRoot();
const artifacts = join(root, 'test-artifacts');

/** The polling of this suite: 10 s, every 100 ms. */
const poll = { timeout: 10_000, interval: 100 };

/** `count` GETs spread over `durationMs`, `concurrency` at a time; resolves with the statuses seen. */
async function load(url: string, count: number, durationMs: number, concurrency = 5): Promise<number[]> {
  const statuses: number[] = [];
  const batches = Math.ceil(count / concurrency);
  const pause = durationMs / batches;
  for (let i = 0; i < batches; i++) {
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: Math.min(concurrency, count - i * concurrency) }, () =>
        send(url).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    statuses.push(...results);
    const wait = pause - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return statuses;
}

function dynamicConfig(a: Backend, b: Backend, extraRouters: Record<string, object> = {}): object {
  return {
    http: {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] }, ...extraRouters },
      services: { app: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }] } } },
    },
  };
}

describe('dashboard in a real browser', { skip }, () => {
  let a: Backend;
  let b: Backend;
  let proxy: TestProxy;
  let stopped = false;
  let base: string;
  let browser: TestBrowser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(join(root, 'dist/dashboard/index.html'))) {
      const build = spawnSync(process.execPath, [join(root, 'scripts/build-dashboard.mjs')], { encoding: 'utf8' });
      assert.equal(build.status, 0, `dashboard build failed: ${build.stderr}`);
    }
    mkdirSync(artifacts, { recursive: true });
    a = await startBackend('a');
    b = await startBackend('b');
    proxy = await startProxy(dynamicConfig(a, b), ['--api.insecure=true', '--entryPoints.traefik.address=127.0.0.1:0']);
    const port = proxy.app.entryPoints.get('traefik')?.port;
    assert.ok(port, 'the traefik entry point listens');
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser({ colorScheme: 'light' });
    context = browser.context;
    page = await firstPage(context, pageErrors);
    // `waitFor` polls: a single locator call should fail fast rather than wait Playwright's 30 s.
    page.setDefaultTimeout(3000);
  });

  after(async () => {
    await browser?.close();
    if (proxy && !stopped) await proxy.stop(200);
    await a?.close();
    await b?.close();
  });

  test('the API entry point redirects / to /dashboard/ and serves the built page and assets', async () => {
    const redirect = await send(`${base}/`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/dashboard/');
    const index = await send(`${base}/dashboard/`);
    assert.equal(index.status, 200, `GET /dashboard/ answered ${index.status}: ${index.text.slice(0, 200)}`);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    const script = /src="(\/dashboard\/assets\/app-[0-9a-f]+\.js)"/.exec(index.text)?.[1];
    assert.ok(script, 'index.html references the hashed bundle');
    const js = await send(`${base}${script}`);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(String(js.headers['cache-control']), /immutable/);
    const deep = await send(`${base}/dashboard/routers/app@file`);
    assert.equal(deep.status, 200, 'deep links fall back to index.html');
    assert.equal((await send(`${base}/dashboard/assets/missing-file.js`)).status, 404);
  });

  test('the overview and the router list show the numbers of the API', async () => {
    const routers = JSON.parse((await send(`${base}/api/http/routers`)).text) as Array<{ name: string }>;
    const overview = JSON.parse((await send(`${base}/api/overview`)).text) as { http: { routers: { total: number } } };
    await page.goto(`${base}/dashboard/#/`);
    const total = page.getByTestId('count-routers-total');
    await waitFor(async () => (await total.textContent()) === String(overview.http.routers.total), {
      ...poll,
      what: 'the router count',
    });
    await page.screenshot({ path: join(artifacts, 'dashboard-overview.png'), fullPage: true });

    await page.goto(`${base}/dashboard/#/routers`);
    await waitFor(async () => (await page.getByTestId('router-row').count()) === routers.length, {
      ...poll,
      what: 'router rows',
    });
    const names = await page
      .getByTestId('router-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    assert.deepEqual([...names].sort(), routers.map((r) => r.name).sort());

    // Search narrows the list; the filter lives in the hash.
    await page.getByLabel('Search').fill('app@');
    await waitFor(async () => (await page.getByTestId('router-row').count()) === 1, { ...poll, what: 'filtered rows' });
    assert.match(page.url(), /#\/routers\?q=app%40/);

    // Keyboard: the router link is reachable and opens the detail page with the rule and service.
    await page.locator('[data-testid="router-row"] a').first().focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => page.url().endsWith('#/routers/app%40file'), { ...poll, what: 'router detail' });
    const detail = await page.locator('main').textContent();
    assert.match(detail ?? '', /PathPrefix\(`\/`\)/);
    assert.match(detail ?? '', /app@file/);

    await page.goto(`${base}/dashboard/#/services`);
    await waitFor(async () => (await page.getByTestId('service-row').count()) >= 1, { ...poll, what: 'service row' });
    assert.equal(await page.locator('[data-testid="service-row"][data-name="app@file"]').count(), 1);
  });

  test('under load, the live view shows traffic on both servers of the service', async () => {
    await page.goto(`${base}/dashboard/#/`);
    await waitFor(async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'live', {
      ...poll,
      what: 'the live stream',
    });
    const traffic = load(`${proxy.url}/api/departures`, 300, 3000);
    const rate = page.getByTestId('overview-rate');
    await waitFor(async () => Number.parseFloat((await rate.textContent()) ?? '') > 0, {
      ...poll,
      what: 'a request rate above zero',
    });
    await page.screenshot({ path: join(artifacts, 'dashboard-overview-live.png'), fullPage: true });

    await page.goto(`${base}/dashboard/#/live`);
    const strip = page.getByTestId('recent-strip');
    const chipsOf = (backend: Backend) => strip.locator(`[data-server*=":${backend.port}"]`).count();
    await waitFor(async () => (await chipsOf(a)) > 0 && (await chipsOf(b)) > 0, {
      ...poll,
      what: 'chips of both servers in the recent strip',
    });
    const chart = page.getByTestId('service-chart-app@file');
    await waitFor(async () => (await chart.getAttribute('data-servers')) === '2', {
      ...poll,
      what: 'both servers drawn in the service chart',
    });
    const lines = await chart
      .locator('path.series')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('d') ?? ''));
    assert.equal(lines.length, 2, 'one line per server');
    assert.ok(
      lines.every((d) => d.includes('L')),
      'each line has points',
    );
    const colours = await chart
      .locator('path.series')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('stroke')));
    assert.notEqual(colours[0], colours[1], 'each server has its own colour');
    const statuses = await traffic;
    assert.equal(statuses.length, 300);
    assert.ok(
      statuses.every((s) => s === 200),
      'every request of the load succeeded',
    );
    // Round robin: consecutive requests of the strip alternate between the servers most of the time.
    const order = await strip
      .locator('[data-server]')
      .evaluateAll((chips) => chips.map((c) => c.getAttribute('data-server')));
    let switches = 0;
    for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++;
    assert.ok(switches >= (order.length - 1) / 3, `servers alternate in the strip (${switches}/${order.length - 1})`);
    await page.screenshot({ path: join(artifacts, 'dashboard-live.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(artifacts, 'dashboard-live-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a broken router written into the watched file appears in the error banner', async () => {
    await page.goto(`${base}/dashboard/#/`);
    const banner = page.getByTestId('error-banner');
    await waitFor(async () => (await page.getByTestId('count-routers-total').count()) === 1, {
      ...poll,
      what: 'the page to load',
    });
    assert.equal(await banner.isVisible(), false, 'no banner while the configuration is valid');
    await proxy.update(
      dynamicConfig(a, b, { broken: { rule: 'PathPrefix(`/x`', service: 'app', entryPoints: ['web'] } }),
    );
    // No page reload: the `config` event of the stream refreshes the page.
    await waitFor(() => banner.isVisible(), { ...poll, what: 'the banner' });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /broken@file/);
    const api = JSON.parse((await send(`${base}/api/http/routers/broken@file`)).text) as { error?: string[] };
    assert.ok(api.error?.[0], 'the API reports the error');
    assert.ok(text.includes(api.error[0] as string) || text.includes((api.error[0] as string).slice(0, 20)));
    await page.screenshot({ path: join(artifacts, 'dashboard-error-banner.png'), fullPage: true });

    await page.goto(`${base}/dashboard/#/routers?status=disabled`);
    await waitFor(
      async () => {
        const rows = page.getByTestId('router-row');
        return (await rows.count()) === 1 && (await rows.first().getAttribute('data-name')) === 'broken@file';
      },
      { ...poll, what: 'the disabled router in the filtered list' },
    );

    await proxy.update(dynamicConfig(a, b));
    await waitFor(async () => !(await banner.isVisible()), { ...poll, what: 'the banner to go away' });
  });

  test('when the proxy stops, the page says it is disconnected', async () => {
    await page.goto(`${base}/dashboard/#/live`);
    const connection = page.getByTestId('connection');
    await waitFor(async () => (await connection.getAttribute('data-state')) === 'live', { ...poll, what: 'live' });
    await proxy.stop(200);
    stopped = true;
    await waitFor(async () => (await connection.getAttribute('data-state')) === 'disconnected', {
      ...poll,
      timeout: 15_000,
      what: 'disconnected',
    });
    assert.match((await connection.textContent()) ?? '', /disconnected/i);
    await page.screenshot({ path: join(artifacts, 'dashboard-disconnected.png') });
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
