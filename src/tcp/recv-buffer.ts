// The receive buffer (RFC 9293 3.10.3 RECEIVE, 3.10.7.4 seventh step): one byte ring holding the
// in-order bytes the user has not read yet, followed by room for the rest of the window. Out-of-
// order bytes are written straight into their place in the ring and remembered as sequence
// ranges (a bounded list), so reassembly never copies twice: bytes go in once and out once.
import { carve, NO_RING } from './slab.js';
import { add, gt, ge, le, lt, sub } from './seq.js';

export interface SeqRange {
  start: number;
  end: number; // exclusive
  /** Recency, for RFC 2018 block ordering (most recently changed first). */
  stamp: number;
}

// What read() returns is carved out of the slabs shared with the send side (tcp/slab.ts): a copy
// that nothing writes again.

export class RecvBuffer {
  private buf: Uint8Array;
  private head = 0; // index of the first unread byte
  /** Size of a ring given back when drained: a busy connection gets it straight back. */
  private lastSize = 0;
  private len = 0; // in-order unread bytes
  /** Out-of-order ranges beyond RCV.NXT, sorted by start, disjoint and not touching. */
  readonly ooo: SeqRange[] = [];
  private stamp = 0;

  constructor(
    private cap: number,
    /** Most out-of-order ranges kept (SHLD-31 says hold them; we bound the memory it takes). */
    readonly maxRanges = 32,
    /** Extra ring room beyond `capacity`: a scaled window is rounded up (like Linux), so the
     *  peer may send up to 2^shift - 1 bytes more than `space` and we still keep them. */
    slack = 0,
  ) {
    this.slack = slack;
    this.limit = Math.max(1, cap + slack);
    // Allocated on first use and doubled as data comes: idle connections stay cheap.
    this.buf = NO_RING;
  }

  /** The most the ring may grow to (capacity plus slack). */
  private limit: number;
  private readonly slack: number;

  /** The buffer size (RCV.BUFF): in-order unread bytes plus the window we may offer. */
  get capacity(): number {
    return this.cap;
  }

  /** Raises the buffer size (never lowers it: the window offered must not shrink). */
  growCapacity(n: number): void {
    if (n <= this.cap) return;
    this.cap = n;
    this.limit = Math.max(1, n + this.slack);
  }

  /** Room beyond RCV.NXT the ring may hold (space plus slack). */
  get room(): number {
    return this.limit - this.len;
  }

  /** Makes the ring at least `n` bytes long, keeping every byte at its offset from head. */
  private grow(n: number): void {
    const cap = this.buf.length;
    if (n <= cap) return;
    const next = new Uint8Array(Math.min(this.limit, Math.max(n, cap * 2, 2048, cap === 0 ? this.lastSize : 0)));
    next.set(this.buf.subarray(this.head), 0);
    if (this.head > 0) next.set(this.buf.subarray(0, this.head), cap - this.head);
    this.buf = next;
    this.head = 0;
  }

  /** In-order bytes waiting for the user. */
  get readable(): number {
    return this.len;
  }

  /** Room beyond RCV.NXT (the largest window we could offer). */
  get space(): number {
    return this.capacity - this.len;
  }

  /** Bytes held out of order. */
  get oooBytes(): number {
    let n = 0;
    for (const r of this.ooo) n += sub(r.end, r.start);
    return n;
  }

  private put(offset: number, data: Uint8Array): void {
    this.grow(this.len + offset + data.length);
    const cap = this.buf.length;
    const at = (this.head + this.len + offset) % cap;
    const first = Math.min(data.length, cap - at);
    this.buf.set(first === data.length ? data : data.subarray(0, first), at);
    if (first < data.length) this.buf.set(data.subarray(first), 0);
  }

  /**
   * Stores `data` (which starts at `seq`, at or after rcvNxt, and must fit in `space`).
   * Returns how far RCV.NXT advances (0 when the bytes are out of order), or -1 when the bytes
   * were out of order and the range list is full (the caller drops them).
   */
  write(seq: number, data: Uint8Array, rcvNxt: number): number {
    const offset = sub(seq, rcvNxt);
    const n = data.length;
    if (offset < 0 || offset + n > this.room) throw new RangeError('RecvBuffer.write outside window');
    if (offset > 0) return this.addRange(seq, add(seq, n), data, offset) ? 0 : -1;
    this.put(0, data);
    let end = add(rcvNxt, n);
    // Pull in every out-of-order range the new bytes reach.
    while (this.ooo.length > 0 && le(this.ooo[0].start, end)) {
      const r = this.ooo.shift()!;
      if (gt(r.end, end)) end = r.end;
    }
    const adv = sub(end, rcvNxt);
    this.len += adv;
    return adv;
  }

  /** The first part of [start, end) already held out of order (a duplicate, for D-SACK). */
  overlap(start: number, end: number): [number, number] | undefined {
    for (const r of this.ooo) {
      if (le(end, r.start)) return undefined;
      if (lt(start, r.end)) return [gt(start, r.start) ? start : r.start, lt(end, r.end) ? end : r.end];
    }
    return undefined;
  }

  /** True when [start, end) is already held out of order (a duplicate, for D-SACK). */
  covered(start: number, end: number): boolean {
    for (const r of this.ooo) if (le(r.start, start) && ge(r.end, end)) return true;
    return false;
  }

  private addRange(start: number, end: number, data: Uint8Array, offset: number): boolean {
    // Find the ranges the new one overlaps or touches.
    let i = 0;
    while (i < this.ooo.length && lt(this.ooo[i].end, start)) i++;
    let j = i;
    let s = start;
    let e = end;
    while (j < this.ooo.length && le(this.ooo[j].start, end)) {
      if (lt(this.ooo[j].start, s)) s = this.ooo[j].start;
      if (gt(this.ooo[j].end, e)) e = this.ooo[j].end;
      j++;
    }
    if (j === i && this.ooo.length >= this.maxRanges) return false;
    this.put(offset, data);
    this.ooo.splice(i, j - i, { start: s, end: e, stamp: ++this.stamp });
    return true;
  }

  /** The out-of-order ranges, most recently changed first (RFC 2018 4). */
  sackRanges(): SeqRange[] {
    return this.ooo.slice().sort((a, b) => b.stamp - a.stamp);
  }

  /** Copies up to `max` in-order bytes starting `offset` bytes in, leaving them queued. */
  peek(max: number, offset = 0): Uint8Array | null {
    const n = Math.min(max, this.len - offset);
    if (n <= 0) return null;
    const out = new Uint8Array(n);
    const cap = this.buf.length;
    const start = (this.head + offset) % cap;
    const first = Math.min(n, cap - start);
    out.set(this.buf.subarray(start, start + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    return out;
  }

  /** Copies out up to `max` in-order bytes (small reads are views of a shared slab). */
  read(max: number): Uint8Array | null {
    const n = Math.min(max, this.len);
    if (n <= 0) return null;
    const out = carve(n);
    const cap = this.buf.length;
    const first = Math.min(n, cap - this.head);
    out.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % cap;
    this.len -= n;
    if (this.len === 0 && this.ooo.length === 0) {
      this.head = 0;
      // Drained: an idle connection gives a big ring back (it is allocated again on demand).
      if (cap > 64 * 1024) {
        this.lastSize = cap;
        this.buf = NO_RING;
      }
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
    this.ooo.length = 0;
  }

  /** Gives the ring back when nothing is held (TIME-WAIT, CLOSED: no more data will arrive). */
  release(): void {
    if (this.len !== 0 || this.ooo.length !== 0) return;
    this.head = 0;
    this.lastSize = 0;
    if (this.buf.length !== 0) this.buf = NO_RING;
  }
}
