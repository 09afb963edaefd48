/**
 * Body buffers for the upstream client, recycled instead of allocated per read.
 *
 * Plain-HTTP upstream sockets read through `onread` into one shared buffer (`READ_BUFFER`):
 * everything that must outlive the read callback is copied out of it. Small body chunks are
 * copied into Node's pooled slab; a large one (a 64 KiB file, a big JSON) is copied into a
 * *lent* 64 KiB buffer that comes back to a free list when the write to the client completes
 * (`lease.release` is the write's callback). Before this, each large chunk was a fresh
 * allocation outside the V8 heap, and those allocations, with the collections they caused,
 * were ~15 % of the proxy's CPU and ~30 MiB of its peak memory under a 64 KiB load.
 *
 * Why not write straight from the read buffer: Node asks `onread.buffer()` for a socket's
 * *next* buffer right after each read, so every socket already holds a buffer it will read
 * into; lending the shared one out would let another socket overwrite a pending write.
 */

/** Size of the shared read buffer and of each lent buffer (Node's own read size). */
export const READ_BUFFER_SIZE = 64 * 1024;
/** Body chunks smaller than this are copied into Node's slab instead of a lent buffer. */
export const LEND_MIN_BYTES = 4 * 1024;
/** Free buffers kept for reuse; beyond this they are left to the garbage collector. */
const MAX_FREE = 128;

/** Where every plain-HTTP upstream read lands; nothing may keep a reference to it. */
export const READ_BUFFER = Buffer.allocUnsafe(READ_BUFFER_SIZE);

const free: ReadLease[] = [];

/** A recycled buffer holding one body chunk until the write to the client completes. */
export class ReadLease {
  private lent = false;
  readonly buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
  /** Write callback: the chunk was written (or abandoned); the buffer may be reused. */
  readonly release: () => void;

  constructor() {
    this.release = () => {
      if (!this.lent) return;
      this.lent = false;
      if (free.length < MAX_FREE) free.push(this);
    };
  }

  /** Whether a chunk in this buffer is still being written. */
  get inUse(): boolean {
    return this.lent;
  }

  /** Copies `source` (at most READ_BUFFER_SIZE bytes) into this buffer and lends it out. */
  fill(source: Buffer): Buffer {
    this.lent = true;
    source.copy(this.buffer);
    return this.buffer.subarray(0, source.length);
  }
}

/** A lease for one large chunk: a free buffer, or a new one when all are in use. */
export function takeLease(): ReadLease {
  return free.pop() ?? new ReadLease();
}

/** Buffers waiting for reuse (tests). */
export function freeLeases(): number {
  return free.length;
}
