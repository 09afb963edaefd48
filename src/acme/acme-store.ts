/**
 * One `acme.json` file on disk, shared by every resolver whose `storage` names it (Traefik's
 * default: all of them, in `acme.json`). Writes are whole and atomic: the new text goes to a
 * temporary file with mode 0600 in the same directory, then replaces the file by rename, so a
 * crash never leaves half a file. Writes are serialised in this process; before each write the
 * file is read again, under a lock file (`acme.json.lock`) shared with other instances, and what
 * another instance stored meanwhile is kept (for the same names, the certificate that expires last
 * wins), so two instances sharing a file lose nothing.
 * A file that does not parse is reported and kept: before the first write it is copied aside
 * (`acme.json.corrupt-<time>`) rather than overwritten blindly.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../core/logger.js';
import {
  AcmeJsonError,
  certificateFacts,
  formatAcmeJson,
  parseAcmeJson,
  type ResolverData,
  type StoredAccount,
  type StoredCertificate,
} from './acme-json.js';
import { domainKey, domainNames } from './domains.js';
import { type AcmeStorage, FREE_LEASE, type OrderLease } from './storage.js';

/** A writer holds the lock for milliseconds; one this old crashed. */
const LOCK_STALE_MS = 10_000;
/** Longest wait for another writer before taking its lock over. */
const LOCK_WAIT_MS = 15_000;

export class AcmeStore implements AcmeStorage {
  /** Never asked again: a file grants every lease. */
  readonly leaseRetryMs = 60_000;

  private data = new Map<string, ResolverData>();
  private writing: Promise<void> = Promise.resolve();
  /** Why the file could not be read, while that remains true (the status list shows it). */
  loadError: string | undefined;
  private corruptKept = false;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Reads the file (a missing file is an empty store). Never throws: a bad file is reported in `loadError`. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.loadError = `cannot read ${this.path}: ${(error as Error).message}`;
      this.logger.error({ storage: this.path }, this.loadError);
      return;
    }
    try {
      this.data = parseAcmeJson(text);
    } catch (error) {
      this.loadError = `${this.path} is not a valid acme.json (${(error as Error).message}); it is kept and copied aside before the next write`;
      this.logger.error({ storage: this.path }, this.loadError);
      return;
    }
    await this.tightenMode();
  }

  /** Traefik refuses a file others can read; we say so and close it to 0600, as it holds private keys. */
  private async tightenMode(): Promise<void> {
    try {
      const mode = (await stat(this.path)).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        this.logger.warn(
          { storage: this.path },
          `permissions ${mode.toString(8)} of ${this.path} are too open: set to 600`,
        );
        await chmod(this.path, 0o600);
      }
    } catch {
      // Only a courtesy: the next write creates the file 0600 anyway.
    }
  }

  /** Instances sharing a file do not coordinate orders: each may order (the merge keeps the last expiring). */
  async lease(): Promise<OrderLease> {
    return FREE_LEASE;
  }

  /** Nothing to do: this process wrote everything it holds. */
  async refresh(): Promise<void> {}

  /** A file is not watched (only shared stores tell of other instances' changes). */
  onChange(): void {}

  async close(): Promise<void> {
    await this.writing;
  }

  /** The resolver's account, if one is stored. */
  account(resolver: string): StoredAccount | undefined {
    return this.data.get(resolver)?.account;
  }

  /** The resolver's certificates. */
  certificates(resolver: string): readonly StoredCertificate[] {
    return this.data.get(resolver)?.certificates ?? [];
  }

  private entry(resolver: string): ResolverData {
    let entry = this.data.get(resolver);
    if (!entry) {
      entry = { certificates: [] };
      this.data.set(resolver, entry);
    }
    return entry;
  }

  /** Stores the account and writes the file. */
  async saveAccount(resolver: string, account: StoredAccount): Promise<void> {
    this.entry(resolver).account = account;
    await this.write();
  }

  /** Stores a certificate, replacing the one for the same names, and writes the file. */
  async saveCertificate(resolver: string, certificate: StoredCertificate): Promise<void> {
    const entry = this.entry(resolver);
    const key = domainKey(domainNames(certificate.domain));
    const index = entry.certificates.findIndex((c) => domainKey(domainNames(c.domain)) === key);
    if (index === -1) entry.certificates.push(certificate);
    else entry.certificates[index] = certificate;
    await this.write();
  }

  /** Queues one whole write after the ones before it; resolves when it is on disk (or failed, logged). */
  write(): Promise<void> {
    const next = this.writing.then(() => this.writeNow());
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeNow(): Promise<void> {
    const release = await this.lock();
    try {
      await this.mergeAndWrite();
    } finally {
      await release();
    }
  }

  /**
   * Takes `<file>.lock` (created exclusively) so that another instance's read-merge-write does not
   * interleave with ours; a lock older than LOCK_STALE_MS is a crashed writer's and is taken over.
   */
  private async lock(): Promise<() => Promise<void>> {
    const lockPath = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        await handle.close();
        return () => unlink(lockPath).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lockPath).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > LOCK_STALE_MS || Date.now() > deadline) await unlink(lockPath).catch(() => undefined);
        else await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
      }
    }
  }

  private async mergeAndWrite(): Promise<void> {
    await this.mergeFromDisk();
    const text = formatAcmeJson(this.data);
    const temporary = join(
      dirname(this.path),
      `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  /** Keeps what another instance wrote since we read: its resolvers, accounts and newer certificates. */
  private async mergeFromDisk(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return;
    }
    let onDisk: Map<string, ResolverData>;
    try {
      onDisk = parseAcmeJson(text);
    } catch (error) {
      if (!(error instanceof AcmeJsonError)) throw error;
      if (!this.corruptKept) {
        const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await copyFile(this.path, aside);
        this.corruptKept = true;
        this.logger.warn(
          { storage: this.path, copy: aside },
          `${this.path} did not parse: copied to ${aside} before writing`,
        );
      }
      return;
    }
    for (const [resolver, theirs] of onDisk) {
      const ours = this.entry(resolver);
      if (!ours.account && theirs.account) ours.account = theirs.account;
      for (const cert of theirs.certificates) {
        const key = domainKey(domainNames(cert.domain));
        const index = ours.certificates.findIndex((c) => domainKey(domainNames(c.domain)) === key);
        if (index === -1) ours.certificates.push(cert);
        else {
          const mine = certificateFacts(ours.certificates[index]!.certPem)?.notAfter ?? 0;
          const other = certificateFacts(cert.certPem)?.notAfter ?? 0;
          if (other > mine) ours.certificates[index] = cert;
        }
      }
    }
  }
}
