/**
 * The seed's page in a real headless Chromium, through the proxy started by `switchyard up`:
 * departures appear, both API replicas answer in turn, and when one is killed the page keeps
 * updating from the other until the killed one is restarted and answers again.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSkipReason, firstPage, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/http.js';
import { type RunningUp, repoRoot, startUp, waitForValue } from '../../helpers/up.js';

const skip = browserSkipReason();
const artifacts = join(repoRoot(), 'test-artifacts');

/** The little of the DOM this test reads (the project compiles without the DOM library). */
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
interface PageDocument {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

/** What the page shows now: answers counted, the latest replica, and the replicas of the history chips. */
function pageState(page: Page) {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: PageDocument }).document;
    return {
      total: Number(doc.getElementById('total')?.textContent ?? '0'),
      servedBy: doc.getElementById('served-by')?.textContent?.trim() ?? '',
      rows: doc.querySelectorAll('#departures tr').length,
      history: Array.from(doc.querySelectorAll('#history [data-replica]')).map((el) => el.dataset.replica),
    };
  });
}

describe('the seed page behind switchyard up', { skip }, () => {
  let up: RunningUp;
  let context: BrowserContext;
  let page: Page;
  let browser: TestBrowser | undefined;
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    up = await startUp();
    browser = await launchBrowser();
    context = browser.context;
    page = await firstPage(context, pageErrors);
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
  });

  test('loads, shows departures and both replica ids within a few polls', async () => {
    const response = await page.goto(up.web);
    assert.equal(response?.status(), 200);
    const state = await waitForValue(
      async () => {
        const s = await pageState(page);
        return s.rows > 0 && s.history.includes('dynamic-server-1') && s.history.includes('dynamic-server-2')
          ? s
          : undefined;
      },
      { timeout: 15_000, interval: 200, what: 'departures and both replicas on the page' },
    );
    assert.match(state.servedBy, /^dynamic-server-[12]$/);
    await page.screenshot({ path: join(artifacts, 'seed-page.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  test('keeps updating from the other replica when one is killed, and shows the killed one again after its restart', async () => {
    const victim = (await up.stack()).services
      .find((s) => s.name === 'dynamic-server')
      ?.replicas.find((r) => r.id === 'dynamic-server-2');
    assert.ok(victim?.pid);
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = (await pageState(page)).total;
    // While it is down, every new answer comes from dynamic-server-1.
    await waitFor(
      async () => {
        const s = await pageState(page);
        return s.total >= killedAt + 2 && s.servedBy === 'dynamic-server-1';
      },
      { timeout: 15_000, interval: 200, what: 'answers from the surviving replica' },
    );
    await waitFor(
      async () =>
        (await up.stack()).services
          .find((s) => s.name === 'dynamic-server')
          ?.replicas.some((r) => r.id === 'dynamic-server-2' && r.state === 'running' && r.restarts === 1),
      { timeout: 15_000, interval: 100, what: 'dynamic-server-2 to be restarted' },
    );
    const restartedAt = (await pageState(page)).total;
    await waitFor(
      async () => {
        const s = await pageState(page);
        return s.total > restartedAt && s.servedBy === 'dynamic-server-2';
      },
      { timeout: 15_000, interval: 200, what: 'the restarted replica on the page' },
    );
    await page.screenshot({ path: join(artifacts, 'seed-page-after-restart.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
