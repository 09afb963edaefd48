/**
 * The dashboard's certificates page in a real headless Chromium against a real Switchyard: each
 * certificate with its names and the routers using it, one ending within 30 days marked
 * "Expires soon" in text, and the generated default certificate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, firstPage, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { makeCa, makeCertificate } from '../../helpers/certificates.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

const skip = browserSkipReason();

describe('the certificates page in a real browser', { skip }, () => {
  let proxy: TestProxy;
  let browser: TestBrowser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const ca = await makeCa();
    const shop = await makeCertificate(ca, ['shop.test']);
    const soon = await makeCertificate(ca, ['soon.test'], { notAfter: new Date(Date.now() + 5 * 86_400_000) });
    proxy = await startProxy(
      {
        http: {
          routers: {
            shop: { rule: 'Host(`shop.test`)', service: 'app', tls: {} },
            soon: { rule: 'Host(`soon.test`)', service: 'app', tls: {} },
          },
          services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } },
        },
        tls: {
          certificates: [
            { certFile: shop.certPem, keyFile: shop.keyPem },
            { certFile: soon.certPem, keyFile: soon.keyPem },
          ],
        },
      },
      ['--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true'],
    );
    browser = await launchBrowser();
    page = await firstPage(browser.context, errors);
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
  });

  test('lists each certificate with its routers, and marks the one ending soon in text', async () => {
    const port = proxy.app.entryPoints.get('traefik')?.port;
    await page.goto(`http://127.0.0.1:${port}/dashboard/#/certificates`);
    await page.waitForSelector('[data-testid=certificate-row]');
    const rows = await page.$$eval('[data-testid=certificate-row]', (trs) =>
      trs.map((tr) => ({ status: tr.getAttribute('data-status'), text: tr.textContent ?? '' })),
    );
    assert.equal(rows.length, 3);
    const soon = rows.find((r) => r.text.includes('soon.test'));
    assert.equal(soon?.status, 'warning');
    assert.match(soon?.text ?? '', /Expires soon/);
    assert.match(soon?.text ?? '', /soon@file/);
    assert.match(rows.find((r) => r.text.includes('shop.test'))?.text ?? '', /OK.*shop@file/);
    assert.match(rows.find((r) => r.text.includes('TRAEFIK DEFAULT CERT'))?.text ?? '', /\(default\)/);
    assert.deepEqual(errors, []);
  });
});
