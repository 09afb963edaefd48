/**
 * When certificates are renewed: Traefik's schedule, chosen by `certificatesDuration` (hours).
 * A certificate is renewed once fewer than `periodMs` remain before its expiry, and the stored
 * certificates are looked at every `intervalMs`. For Let's Encrypt's 90-day certificates that is
 * 30 days before expiry (a third of the lifetime), looked at daily.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How long before expiry a certificate is renewed, and how often that is checked. */
export interface RenewalSchedule {
  periodMs: number;
  intervalMs: number;
}

/** Traefik's `getCertificateRenewDurations`, for a `certificatesDuration` in hours. */
export function renewalSchedule(certificatesDurationHours: number): RenewalSchedule {
  const h = certificatesDurationHours;
  if (h >= 365 * 24) return { periodMs: 4 * 30 * DAY, intervalMs: 7 * DAY };
  if (h >= 3 * 30 * 24) return { periodMs: 30 * DAY, intervalMs: DAY };
  if (h >= 30 * 24) return { periodMs: 10 * DAY, intervalMs: 12 * HOUR };
  if (h >= 6 * 24) return { periodMs: 2 * DAY, intervalMs: 2 * HOUR };
  if (h >= 24) return { periodMs: 6 * HOUR, intervalMs: 10 * 60_000 };
  return { periodMs: 20 * 60_000, intervalMs: 60_000 };
}

/** The moment from which a certificate expiring at `notAfter` is due for renewal. */
export function renewAt(notAfter: number, schedule: RenewalSchedule): number {
  return notAfter - schedule.periodMs;
}

/** True when the certificate must be renewed now. */
export function isDue(notAfter: number, now: number, schedule: RenewalSchedule): boolean {
  return notAfter - now < schedule.periodMs;
}

/**
 * The wait before the next attempt after `failures` consecutive failures: doubling from `baseMs`
 * up to a day, or the server's `Retry-After` when it asked for longer (rateLimited).
 */
export function retryDelay(failures: number, baseMs: number, retryAfterMs?: number): number {
  const backoff = Math.min(baseMs * 2 ** Math.max(0, failures - 1), DAY);
  return retryAfterMs !== undefined && retryAfterMs > backoff ? retryAfterMs : backoff;
}
