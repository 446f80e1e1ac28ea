// The send buffer (RFC 9293 3.10.2 SEND): a byte ring holding everything from SND.UNA onward,
// both in flight and not yet sent. Data is copied in once (write) and copied out once per
// transmission (read), always with TypedArray.set, never byte by byte.

/** The ring is allocated on first use, at least this big, and doubles as data comes (thousands
 *  of idle connections must not each hold a full-sized buffer). */
const INITIAL = 2048;
// Segment payloads are carved out of slabs shared by every connection (tcp/slab.ts).
import { carve, NO_RING } from './slab.js';

export class SendBuffer {
  private buf: Uint8Array;
  private head = 0; // index of the byte at SND.UNA
  /** Size of a ring given back when drained: a busy connection gets it straight back. */
  private lastSize = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    this.buf = NO_RING;
  }

  /** Makes the ring hold at least `n` bytes (linearizing it from head). */
  private grow(n: number): void {
    const cap = this.buf.length;
    if (n <= cap) return;
    const next = new Uint8Array(Math.min(this.capacity, Math.max(n, cap * 2, INITIAL, cap === 0 ? this.lastSize : 0)));
    const first = Math.min(this.len, cap - this.head);
    next.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < this.len) next.set(this.buf.subarray(0, this.len - first), first);
    this.buf = next;
    this.head = 0;
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
    this.grow(this.len + n);
    const cap = this.buf.length;
    const tail = (this.head + this.len) % cap;
    const first = Math.min(n, cap - tail);
    this.buf.set(data.subarray(0, first), tail);
    if (first < n) this.buf.set(data.subarray(first, n), 0);
    this.len += n;
    return n;
  }

  /** A fresh copy of `n` bytes starting `offset` bytes after SND.UNA. */
  read(offset: number, n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const out = carve(n);
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
    if (n <= 0) return;
    this.head = (this.head + n) % this.buf.length;
    this.len -= n;
    if (this.len === 0) {
      this.head = 0;
      // Drained: an idle connection gives a big ring back (it is allocated again on demand).
      if (this.buf.length > 64 * 1024) {
        this.lastSize = this.buf.length;
        this.buf = NO_RING;
      }
    }
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  /** Gives the ring back when nothing is queued (TIME-WAIT, CLOSED: no more data to send). */
  release(): void {
    if (this.len !== 0) return;
    this.head = 0;
    this.lastSize = 0;
    if (this.buf.length !== 0) this.buf = NO_RING;
  }
}
