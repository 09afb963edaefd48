import { randomBytes } from 'node:crypto';

/** Name of the cookie that carries the session id. */
export const SESSION_COOKIE = 'sy_session';

const VALID_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Per-replica visit counters, deliberately in memory only: a replica that has never seen a session
 * starts it at 1, which is what makes round-robin versus sticky routing visible.
 * Bounded as an LRU (a Map keeps insertion order, so re-inserting on each visit moves it to the end).
 */
export class SessionCounter {
  private readonly visits = new Map<string, number>();

  constructor(private readonly maxSessions = 10_000) {}

  /** Counts one visit for `id` and returns the visit number (1 for a session new to this replica). */
  visit(id: string): number {
    const count = (this.visits.get(id) ?? 0) + 1;
    this.visits.delete(id);
    this.visits.set(id, count);
    if (this.visits.size > this.maxSessions) {
      const oldest = this.visits.keys().next().value;
      if (oldest !== undefined) this.visits.delete(oldest);
    }
    return count;
  }

  /** How many sessions this replica currently remembers. */
  get size(): number {
    return this.visits.size;
  }
}

/** A fresh random session id (URL-safe, 128 bits). */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/** The session id from a Cookie header, or undefined when absent or malformed. */
export function sessionIdFromCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // Anything odd is treated as no session rather than echoed back into a Set-Cookie header.
    return VALID_ID.test(value) ? value : undefined;
  }
  return undefined;
}

/** The Set-Cookie value that starts a session. */
export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}
