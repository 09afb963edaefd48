/**
 * Debian's Chromium driven by playwright-core, started the one way that works on these machines:
 * headless, no sandbox (root), no background networking (the network is closed), and a fresh
 * profile directory per launch (Chromium refuses `--user-data-dir` in `args` under Playwright).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian's chromium package installs the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** A reason to skip browser tests, or false when Chromium is installed. */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM}: browser tests skipped`;
}

/** A launched browser context and a function that closes it and removes its profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'switchyard-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    ...(options.colorScheme ? { colorScheme: options.colorScheme } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The context's first page, with its uncaught errors collected into `errors` (tests assert none). */
export async function firstPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}
