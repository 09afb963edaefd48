/**
 * A body kept whole before it goes on (the buffering middleware): in memory up to a threshold,
 * then in a temporary file (mode 0600, in the OS temporary directory) that `dispose()` removes
 * — the owner calls it when the response closes, whether it finished or the client went away.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream, unlink, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prefix of the temporary files, so an operator can tell them apart. */
export const SPILL_PREFIX = 'switchyard-buffer-';

/** Memory first, then a file. */
export class SpillBuffer {
  private chunks: Buffer[] = [];
  /** Bytes taken so far. */
  size = 0;
  private file: WriteStream | null = null;
  private path: string | null = null;
  private reader: ReadStream | null = null;
  private disposed = false;

  /**
   * `memLimit`: bytes kept in memory before spilling; `onDrain`: the file took what it was
   * given after a `write` returned false; `onError`: the file failed (disk full…).
   */
  constructor(
    private readonly memLimit: number,
    private readonly onDrain: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Whether the body went to a file. */
  get spilled(): boolean {
    return this.path !== null;
  }

  /**
   * Adds a chunk. `owned`: the caller will not reuse its memory (else it is copied when kept in
   * memory). False when the file is backed up: wait for `onDrain`. `callback` runs once the
   * chunk's memory is no longer needed.
   */
  write(chunk: Buffer, owned: boolean, callback?: () => void): boolean {
    if (this.disposed) return true;
    this.size += chunk.length;
    if (this.file === null && this.size <= this.memLimit) {
      this.chunks.push(owned ? chunk : Buffer.from(chunk));
      if (callback !== undefined) process.nextTick(callback);
      return true;
    }
    const file = this.file ?? this.spill();
    return file.write(chunk, callback === undefined ? undefined : () => callback());
  }

  private spill(): WriteStream {
    this.path = join(tmpdir(), `${SPILL_PREFIX}${process.pid}-${randomUUID()}`);
    const file = createWriteStream(this.path, { flags: 'wx', mode: 0o600 });
    file.on('drain', this.onDrain);
    file.on('error', (error) => {
      if (!this.disposed) this.onError(error);
    });
    this.file = file;
    for (const chunk of this.chunks) file.write(chunk);
    this.chunks = [];
    return file;
  }

  /** Calls `done` once everything written is safe to read back. */
  finish(done: () => void): void {
    if (this.file === null) {
      done();
      return;
    }
    this.file.end(() => {
      if (!this.disposed) done();
    });
  }

  /** The whole body, when it stayed in memory. */
  memory(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
  }

  /** A stream of the spilled body (after `finish`). */
  open(): ReadStream {
    this.reader = createReadStream(this.path as string);
    return this.reader;
  }

  /** Frees everything: memory, open streams, the file. Safe to call more than once. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.chunks = [];
    this.file?.destroy();
    this.reader?.destroy();
    const path = this.path;
    if (path !== null) unlink(path, () => undefined);
  }
}
