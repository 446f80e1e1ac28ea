// Virtual-time scheduler: a binary min-heap of deadlines. Events at equal times run in the
// order they were scheduled (stable by an insertion counter). Cancel is O(1): it flags the
// entry, which is discarded when it reaches the top of the heap. Events for the current instant
// (a link at delay 0, deferred notifications) skip the heap: they go to a FIFO, which is in
// (at, seq) order by construction, and step() takes the smaller of the two heads.
import type { Scheduler, TimerHandle } from './types.js';
import { VirtualClock } from './clock.js';

/** One scheduled event; it is its own TimerHandle (no closure per event). */
class Entry implements TimerHandle {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
    private readonly owner: VirtualScheduler,
  ) {}
  cancel(): void {
    if (!this.cancelled) {
      this.cancelled = true;
      this.owner.cancelled();
    }
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualScheduler implements Scheduler {
  readonly clock: VirtualClock;
  private heap: Entry[] = [];
  /** Events at the instant they were scheduled for, in order; `fifoHead` is the next one. */
  private fifo: Entry[] = [];
  private fifoHead = 0;
  private counter = 0;
  private live = 0;

  constructor(start = 0) {
    this.clock = new VirtualClock(start);
  }

  now(): number {
    return this.clock.now();
  }

  /** Number of scheduled, not-yet-run, not-cancelled events. */
  get pending(): number {
    return this.live;
  }

  at(at: number, fn: () => void): TimerHandle {
    const now = this.clock.now();
    // A past (or NaN) time means "as soon as possible", i.e. now, after what is already due now.
    const when = Number.isFinite(at) && at > now ? at : now;
    const e = new Entry(when, this.counter++, fn, this);
    // Due now: every queued entry has at <= now (the clock never passes a pending event) and a
    // smaller seq, so appending keeps the FIFO sorted by (at, seq).
    if (when === now) this.fifo.push(e);
    else this.push(e);
    this.live++;
    return e;
  }

  /** @internal An entry was cancelled. */
  cancelled(): void {
    this.live--;
  }

  /** Shorthand: call fn after `ms` from now. */
  after(ms: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + Math.max(0, ms), fn);
  }

  /** Deadline of the earliest live event, or null when idle. */
  nextDeadline(): number | null {
    this.dropCancelled();
    const f = this.fifoHead < this.fifo.length ? this.fifo[this.fifoHead] : undefined;
    const h = this.heap.length ? this.heap[0] : undefined;
    if (f && (!h || less(f, h))) return f.at;
    return h ? h.at : null;
  }

  /** Run the earliest event (advancing the clock to it). False when idle. */
  step(): boolean {
    this.dropCancelled();
    let e: Entry | undefined;
    const fifo = this.fifo;
    if (this.fifoHead < fifo.length) {
      const f = fifo[this.fifoHead];
      if (this.heap.length === 0 || less(f, this.heap[0])) {
        e = f;
        if (++this.fifoHead === fifo.length) {
          fifo.length = 0;
          this.fifoHead = 0;
        } else if (this.fifoHead >= 1024 && this.fifoHead * 2 >= fifo.length) {
          fifo.splice(0, this.fifoHead);
          this.fifoHead = 0;
        }
      }
    }
    e ??= this.pop();
    if (!e) return false;
    this.live--;
    e.cancelled = true; // a later cancel() of a fired timer is a no-op
    if (e.at > this.clock.now()) this.clock.set(e.at);
    e.fn();
    return true;
  }

  /** Run every event due at or before `t`, then leave the clock at `t`. Returns events run. */
  runUntil(t: number): number {
    let n = 0;
    for (;;) {
      const d = this.nextDeadline();
      if (d === null || d > t) break;
      this.step();
      n++;
    }
    if (t > this.clock.now()) this.clock.set(t);
    return n;
  }

  runFor(ms: number): number {
    return this.runUntil(this.clock.now() + ms);
  }

  /** Run until nothing is scheduled, or maxEvents have run (guards against timer loops).
   *  Returns the number of events run. */
  runUntilIdle(maxEvents = 1_000_000): number {
    let n = 0;
    while (n < maxEvents && this.step()) n++;
    return n;
  }

  private dropCancelled(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
    const fifo = this.fifo;
    while (this.fifoHead < fifo.length && fifo[this.fifoHead].cancelled) this.fifoHead++;
    if (this.fifoHead === fifo.length && this.fifoHead > 0) {
      fifo.length = 0;
      this.fifoHead = 0;
    }
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
