// Virtual-time scheduler: a binary min-heap of deadlines. Events at equal times run in the
// order they were scheduled (stable by an insertion counter). Cancel is O(1): it flags the
// entry, which is discarded when it reaches the top of the heap.
import type { Scheduler, TimerHandle } from './types.js';
import { VirtualClock } from './clock.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualScheduler implements Scheduler {
  readonly clock: VirtualClock;
  private heap: Entry[] = [];
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
    const e: Entry = { at: when, seq: this.counter++, fn, cancelled: false };
    this.push(e);
    this.live++;
    return {
      cancel: () => {
        if (!e.cancelled) {
          e.cancelled = true;
          this.live--;
        }
      },
    };
  }

  /** Shorthand: call fn after `ms` from now. */
  after(ms: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + Math.max(0, ms), fn);
  }

  /** Deadline of the earliest live event, or null when idle. */
  nextDeadline(): number | null {
    this.dropCancelled();
    return this.heap.length ? this.heap[0].at : null;
  }

  /** Run the earliest event (advancing the clock to it). False when idle. */
  step(): boolean {
    this.dropCancelled();
    const e = this.pop();
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
