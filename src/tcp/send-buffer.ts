// The send buffer (RFC 9293 3.10.2 SEND): a byte ring holding everything from SND.UNA onward,
// both in flight and not yet sent. Data is copied in once (write) and copied out once per
// transmission (read), always with TypedArray.set, never byte by byte.

const SLAB = 256 * 1024;

export class SendBuffer {
  private buf: Uint8Array;
  private head = 0; // index of the byte at SND.UNA
  private len = 0;

  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(Math.max(1, capacity));
  }

  /** Bytes buffered (from SND.UNA). */
  get length(): number {
    return this.len;
  }

  get free(): number {
    return this.capacity - this.len;
  }

  /** Appends as much of `data` as fits; returns the count accepted. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.len);
    if (n === 0) return 0;
    const cap = this.buf.length;
    const tail = (this.head + this.len) % cap;
    const first = Math.min(n, cap - tail);
    this.buf.set(data.subarray(0, first), tail);
    if (first < n) this.buf.set(data.subarray(first, n), 0);
    this.len += n;
    return n;
  }

  // Segment payloads are carved out of slabs: one allocation per 256 KiB rather than one per
  // segment. A payload is never written again once handed out, so it may be kept (queued on a
  // link, recorded) for as long as anyone likes.
  private slab = new Uint8Array(0);
  private slabUsed = 0;

  private alloc(n: number): Uint8Array {
    if (n > SLAB / 4) return new Uint8Array(n);
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB);
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    this.slabUsed += n;
    return out;
  }

  /** A fresh copy of `n` bytes starting `offset` bytes after SND.UNA. */
  read(offset: number, n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const out = this.alloc(n);
    const cap = this.buf.length;
    const start = (this.head + offset) % cap;
    const first = Math.min(n, cap - start);
    out.set(this.buf.subarray(start, start + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    return out;
  }

  /** Drops `n` acknowledged bytes from the front. */
  consume(n: number): void {
    n = Math.min(n, this.len);
    this.head = (this.head + n) % this.buf.length;
    this.len -= n;
    if (this.len === 0) this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }
}
