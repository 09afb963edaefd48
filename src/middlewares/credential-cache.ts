/**
 * A bounded memory of Authorization header values that were verified, so a client sending the
 * same credentials on every request pays the password hash (bcrypt: 50–100 ms at cost 10) once.
 * Keys are SHA-256 digests of the header value, never the value itself, so no password stays
 * in memory longer than its request. Least recently used entries go first beyond `capacity`.
 * One cache per built middleware: a configuration change builds a new middleware, so removed
 * users and changed hashes are forgotten at once. Failures are never remembered.
 */
import { hash } from 'node:crypto';

/** Verified credentials, by digest of the header value, to the user name. */
export class CredentialCache {
  private readonly entries = new Map<string, string>();

  constructor(readonly capacity: number) {}

  /** The digest a header value is remembered under (one-shot `hash`: a third of createHash's cost). */
  static keyOf(headerValue: string): string {
    return hash('sha256', headerValue, 'base64');
  }

  /** The user the credentials were verified for, or undefined. Refreshes the entry. */
  get(key: string): string | undefined {
    const user = this.entries.get(key);
    if (user !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, user);
    }
    return user;
  }

  /** Remembers verified credentials, forgetting the least recently used beyond the capacity. */
  set(key: string, user: string): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, user);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
