/**
 * Body buffers for the upstream client, recycled instead of allocated per read.
 *
 * Plain-HTTP upstream sockets read through `onread` into one shared buffer (`READ_BUFFER`):
 * everything that must outlive the read callback is copied out of it. Small body chunks are
 * copied into Node's pooled slab; a large one (a 64 KiB file, a big JSON) is copied into a
 * *lent* buffer (64 or 128 KiB) that comes back to a free list when the write to the client completes
 * (`lease.release` is the write's callback). Before this, each large chunk was a fresh
 * allocation outside the V8 heap, and those allocations, with the collections they caused,
 * were ~15 % of the proxy's CPU and ~30 MiB of its peak memory under a 64 KiB load.
 *
 * Why not write straight from the read buffer: every upstream socket reads into that same
 * buffer, so the next read on any socket would overwrite a pending write. (Per-read buffers
 * through `onread.buffer()` as a function do not help either: Node asks for a socket's *next*
 * buffer right after each read, so a socket always holds one in advance.)
 */

/**
 * Size of the shared read buffer: twice Node's default read, so a 64 KiB body and its head come
 * in one read (and go out in one write) instead of two — 10–15 % less CPU per 64 KiB response in
 * paired runs, the same for small ones.
 */
export const READ_BUFFER_SIZE = 128 * 1024;
/** Lent buffers come in two sizes, so a 64 KiB chunk does not hold 128 KiB. */
const SMALL_LEASE_SIZE = 64 * 1024;
/** Body chunks smaller than this are copied into Node's slab instead of a lent buffer. */
export const LEND_MIN_BYTES = 4 * 1024;
/**
 * Free buffers kept for reuse per size (at most 2 + 4 MiB held after a burst); beyond this they
 * are left to the garbage collector.
 */
const MAX_FREE = 32;

/** Where every plain-HTTP upstream read lands; nothing may keep a reference to it. */
export const READ_BUFFER = Buffer.allocUnsafe(READ_BUFFER_SIZE);

/** Free leases by size: [64 KiB, 128 KiB]. */
const free: [ReadLease[], ReadLease[]] = [[], []];

/** A recycled buffer holding one body chunk until the write to the client completes. */
export class ReadLease {
  private lent = false;
  readonly buffer: Buffer;
  /** Write callback: the chunk was written (or abandoned); the buffer may be reused. */
  readonly release: () => void;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
    const list = free[size === SMALL_LEASE_SIZE ? 0 : 1];
    this.release = () => {
      if (!this.lent) return;
      this.lent = false;
      if (list.length < MAX_FREE) list.push(this);
    };
  }

  /** Whether a chunk in this buffer is still being written. */
  get inUse(): boolean {
    return this.lent;
  }

  /** Copies `source` (no longer than the buffer) into this buffer and lends it out. */
  fill(source: Buffer): Buffer {
    if (source.length > this.buffer.length) throw new RangeError('chunk larger than its lent buffer');
    this.lent = true;
    source.copy(this.buffer);
    return this.buffer.subarray(0, source.length);
  }
}

/** A lease for one chunk of `length` bytes (at most READ_BUFFER_SIZE): a free one, or a new one. */
export function takeLease(length: number): ReadLease {
  if (length <= SMALL_LEASE_SIZE) return free[0].pop() ?? new ReadLease(SMALL_LEASE_SIZE);
  return free[1].pop() ?? new ReadLease(READ_BUFFER_SIZE);
}

/** Buffers waiting for reuse (tests). */
export function freeLeases(): number {
  return free[0].length + free[1].length;
}
