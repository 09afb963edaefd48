/**
 * The dashboard's Certificates page shows the ACME resolvers' certificates (from `/api/acme`) in
 * a real headless Chromium against a real Switchyard: a resolver whose CA cannot be reached
 * gives a `Failed` row with the domains, the resolver, the error and the router asking.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, firstPage, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/http.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

const skip = browserSkipReason();

describe('the ACME table of the certificates page in a real browser', { skip }, () => {
  let proxy: TestProxy;
  let browser: TestBrowser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-dashboard-acme-'));
    proxy = await startProxy(
      {
        http: {
          routers: { shop: { rule: 'Host(`shop.acme.test`)', service: 'app', tls: { certResolver: 'le' } } },
          services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } },
        },
      },
      [
        '--entryPoints.traefik.address=127.0.0.1:0',
        '--api.insecure=true',
        // Nothing listens on port 1: the order fails at once, with the reason in the status.
        '--certificatesResolvers.le.acme.caServer=https://127.0.0.1:1/dir',
        '--certificatesResolvers.le.acme.tlsChallenge=true',
        `--certificatesResolvers.le.acme.storage=${join(dir, 'acme.json')}`,
      ],
    );
    await waitFor(() => proxy.app.options.acme?.status?.().certificates.some((c) => c.state === 'failed'), {
      timeout: 30_000,
      what: 'the order to fail',
    });
    browser = await launchBrowser();
    page = await firstPage(browser.context, errors);
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a failed order is a row with its domains, resolver, error and router', async () => {
    const port = proxy.app.entryPoints.get('traefik')?.port;
    await page.goto(`http://127.0.0.1:${port}/dashboard/#/certificates`);
    await page.waitForSelector('[data-testid=acme-row]');
    const rows = await page.$$eval('[data-testid=acme-row]', (trs) =>
      trs.map((tr) => ({ state: tr.getAttribute('data-state'), text: tr.textContent ?? '' })),
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.state, 'failed');
    assert.match(rows[0]?.text ?? '', /Failed.*shop\.acme\.test.*le/);
    assert.match(rows[0]?.text ?? '', /cannot reach the ACME server/);
    assert.match(rows[0]?.text ?? '', /shop@file/);
    assert.deepEqual(errors, []);
  });
});
