import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDue, renewAt, renewalSchedule, retryDelay } from './renewal.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('renewal schedule (Traefik getCertificateRenewDurations)', () => {
  it('90-day certificates renew 30 days (a third) before expiry, checked daily', () => {
    assert.deepEqual(renewalSchedule(2160), { periodMs: 30 * DAY, intervalMs: DAY });
  });

  it('certificatesDuration chooses the row: 1 year, 30 days, 6 days, 1 day, less', () => {
    assert.deepEqual(renewalSchedule(365 * 24), { periodMs: 120 * DAY, intervalMs: 7 * DAY });
    assert.deepEqual(renewalSchedule(30 * 24), { periodMs: 10 * DAY, intervalMs: 12 * HOUR });
    assert.deepEqual(renewalSchedule(7 * 24), { periodMs: 2 * DAY, intervalMs: 2 * HOUR });
    assert.deepEqual(renewalSchedule(24), { periodMs: 6 * HOUR, intervalMs: 10 * 60_000 });
    assert.deepEqual(renewalSchedule(1), { periodMs: 20 * 60_000, intervalMs: 60_000 });
  });

  it('a certificate is due once less than the period remains', () => {
    const schedule = renewalSchedule(2160);
    const notAfter = Date.UTC(2030, 0, 31);
    assert.equal(renewAt(notAfter, schedule), Date.UTC(2030, 0, 1));
    assert.equal(isDue(notAfter, Date.UTC(2029, 11, 31), schedule), false);
    assert.equal(isDue(notAfter, Date.UTC(2030, 0, 2), schedule), true);
  });

  it('failed orders back off by doubling up to a day; a longer Retry-After wins', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelay(n, 1000)),
      [1000, 2000, 4000, 8000],
    );
    assert.equal(retryDelay(40, 60_000), DAY);
    assert.equal(retryDelay(1, 1000, 3_600_000), 3_600_000);
    assert.equal(retryDelay(3, 1000, 10), 4000);
  });
});
