/**
 * Writes log lines to a file or stdout without ever blocking the request path: lines are
 * queued in memory and written in batches (every `bufferingSize` lines, at the latest once a
 * second; with no buffering, once per event-loop turn). A file can be reopened (log rotation on
 * SIGUSR1). A write error is logged once; lines are dropped while the output is broken rather
 * than piling up, and a slow output never makes the queue grow past a bound.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../core/logger.js';

/** Bytes waiting in the output stream beyond which new lines are dropped. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** A batched, reopenable line output. */
export class LineWriter {
  private stream: NodeJS.WritableStream | null = null;
  private lines: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private scheduled = false;
  private broken = false;
  private reported = false;
  /** Lines dropped because the output was broken or too slow. */
  dropped = 0;

  constructor(
    private readonly path: string | undefined,
    private readonly bufferingSize: number,
    private readonly logger: Logger,
  ) {
    this.open();
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  /** Queues one line (without its newline). */
  write(line: string): void {
    this.lines.push(line);
    if (this.bufferingSize > 0) {
      if (this.lines.length >= this.bufferingSize) this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes the queued lines now. */
  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    const stream = this.stream;
    const pending = stream === null ? 0 : ((stream as Partial<WriteStream>).writableLength ?? 0);
    if (stream === null || this.broken || pending > MAX_PENDING_BYTES) {
      this.dropped += lines.length;
      return;
    }
    stream.write(`${lines.join('\n')}\n`);
  }

  /** Closes the file and opens it again at the same path (after a rotation renamed it). */
  reopen(): void {
    if (this.path === undefined) return;
    this.flush();
    const old = this.stream;
    this.broken = false;
    this.open();
    (old as WriteStream | null)?.end();
    this.logger.info({ filePath: this.path }, 'access log reopened');
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    const stream = this.stream;
    this.stream = null;
    if (this.path === undefined || stream === null) return;
    await new Promise<void>((resolve) => {
      const file = stream as WriteStream;
      if (file.closed || file.destroyed) resolve();
      else file.end(() => resolve());
      file.once('error', () => resolve());
    });
  }

  private open(): void {
    const onError = (error: Error) => this.fail(error);
    if (this.path === undefined) {
      this.stream = process.stdout;
      if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', onError);
      return;
    }
    try {
      mkdirSync(dirname(this.path), { recursive: true });
    } catch {
      // The open below reports the real problem.
    }
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', onError);
    this.stream = stream;
  }

  private fail(error: Error): void {
    this.broken = true;
    if (this.reported) return;
    this.reported = true;
    this.logger.error(
      { filePath: this.path ?? 'stdout', err: error.message },
      'cannot write the access log; lines are dropped until it is reopened (SIGUSR1)',
    );
  }
}
