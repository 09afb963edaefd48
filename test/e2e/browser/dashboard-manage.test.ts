/**
 * The dashboard's management page in a real headless Chromium against a real `switchyard up`:
 * its Scale, Stop and Start controls go through the API's same-origin JSON rule, and a page on
 * another origin (the seed's own page, on the web entry point) cannot scale through the API.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSkipReason, firstPage, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { type RunningUp, startUp, waitForValue } from '../../helpers/up.js';

const skip = browserSkipReason();
const poll = { timeout: 15_000, interval: 100 };

describe('the dashboard management page behind switchyard up', { skip }, () => {
  let up: RunningUp;
  let browser: TestBrowser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  /** dynamic-server as `up` lists it now. */
  const dynamic = async () => (await up.stack()).services.find((s) => s.name === 'dynamic-server');

  before(async () => {
    up = await startUp();
    browser = await launchBrowser();
    context = browser.context;
    page = await firstPage(context, pageErrors);
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
  });

  test('scales a service with the Scale control', async () => {
    await page.goto(`${new URL(up.stackApi).origin}/dashboard/#/stack`);
    await page.locator('[data-action="scale-input:dynamic-server"]').fill('3');
    await page.locator('[data-action="scale:dynamic-server"]').click();
    await page.getByRole('status').filter({ hasText: 'Scale dynamic-server to 3: accepted' }).waitFor();
    await waitForValue(
      async () => {
        const service = await dynamic();
        return service?.scale === 3 && service.running === 3;
      },
      { ...poll, what: 'dynamic-server to run 3 replicas' },
    );
  });

  test('stops and starts a replica with its Stop and Start buttons', async () => {
    await page.locator('[data-action="stop:dynamic-server-3"]').click();
    await page.getByRole('status').filter({ hasText: 'Stop dynamic-server-3: accepted' }).waitFor();
    await waitForValue(
      async () => (await dynamic())?.replicas.find((r) => r.id === 'dynamic-server-3')?.state === 'stopped',
      { ...poll, what: 'dynamic-server-3 to stop' },
    );
    await page.locator('[data-action="start:dynamic-server-3"]').click({ timeout: poll.timeout });
    await waitForValue(
      async () => (await dynamic())?.replicas.find((r) => r.id === 'dynamic-server-3')?.state === 'running',
      { ...poll, what: 'dynamic-server-3 to run again' },
    );
    assert.deepEqual(pageErrors, []);
  });

  test('a page on another local origin cannot scale through the API, even with a no-cors text/plain request', async () => {
    // The hostile page is served from 127.0.0.1 on its own port: a public page would meet
    // Chromium's local network access check first, and the seed page's CSP forbids the fetch.
    const hostile = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>hostile</title>');
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
      // What any page can do without a preflight: the browser sends it, the answer is opaque.
      const sent = await page.evaluate(
        (url) =>
          fetch(url, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: '{"replicas":5}',
          }).then((response) => response.type),
        `${up.stackApi}/services/dynamic-server/scale`,
      );
      assert.equal(sent, 'opaque', 'the browser sent the request');
      assert.equal((await dynamic())?.scale, 3);
    } finally {
      hostile.close();
    }
  });
});
