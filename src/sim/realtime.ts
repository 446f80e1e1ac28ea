// Wall-clock scheduler: performance.now()-based milliseconds and a single setTimeout armed for
// the earliest deadline. In Node the timer is unref()'d so it does not keep the process alive,
// unless constructed with { keepAlive: true }. Browser-safe: no node: imports.
import type { Scheduler, TimerHandle } from './types.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

type TimeoutId = { kind: 'timeout'; id: ReturnType<typeof setTimeout> } | { kind: 'immediate'; id: unknown };

// setTimeout(0) costs at least 1 ms in Node; deadlines already due run on setImmediate where the
// platform has it (Node), so a loopback packet does not wait a millisecond per hop.
const setImmediateFn = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
const clearImmediateFn = (globalThis as { clearImmediate?: (id: unknown) => void }).clearImmediate;

export interface RealTimeSchedulerOptions {
  /** Keep the Node event loop alive while timers are pending (default false). */
  keepAlive?: boolean;
  /** Time source in ms (default performance.now, falling back to Date.now). */
  now?: () => number;
  /** Called when a callback throws (default: rethrown asynchronously via queueMicrotask). */
  onError?: (err: unknown) => void;
}

export class RealTimeScheduler implements Scheduler {
  private entries: Entry[] = [];
  private counter = 0;
  private timer: TimeoutId | null = null;
  private timerAt = Infinity;
  private readonly keepAlive: boolean;
  private readonly nowFn: () => number;
  private readonly onError: (err: unknown) => void;

  constructor(opts: RealTimeSchedulerOptions = {}) {
    this.keepAlive = opts.keepAlive ?? false;
    const perf = (globalThis as { performance?: { now(): number } }).performance;
    this.nowFn = opts.now ?? (perf ? () => perf.now() : () => Date.now());
    this.onError =
      opts.onError ??
      ((err) => {
        queueMicrotask(() => {
          throw err;
        });
      });
  }

  now(): number {
    return this.nowFn();
  }

  get pending(): number {
    return this.entries.filter((e) => !e.cancelled).length;
  }

  at(at: number, fn: () => void): TimerHandle {
    const e: Entry = { at: Number.isFinite(at) ? at : this.now(), seq: this.counter++, fn, cancelled: false };
    // Sorted insert (stable): wall-clock timer counts are small; the host stack keeps its own heap.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].at > e.at) i--;
    this.entries.splice(i, 0, e);
    this.arm();
    return {
      cancel: () => {
        if (e.cancelled) return;
        e.cancelled = true;
        const idx = this.entries.indexOf(e);
        if (idx >= 0) this.entries.splice(idx, 1);
        this.arm();
      },
    };
  }

  nextDeadline(): number | null {
    return this.entries.length ? this.entries[0].at : null;
  }

  /** Cancel everything and clear the wall-clock timer. */
  close(): void {
    for (const e of this.entries) e.cancelled = true;
    this.entries = [];
    this.arm();
  }

  private arm(): void {
    const next = this.entries.length ? this.entries[0].at : Infinity;
    if (next === this.timerAt && this.timer !== null) return;
    if (this.timer !== null) {
      if (this.timer.kind === 'timeout') clearTimeout(this.timer.id);
      else clearImmediateFn?.(this.timer.id);
      this.timer = null;
    }
    this.timerAt = next;
    if (next === Infinity) return;
    const delay = Math.max(0, Math.ceil(next - this.now()));
    let t: TimeoutId;
    if (delay === 0 && setImmediateFn && clearImmediateFn) {
      t = { kind: 'immediate', id: setImmediateFn(() => this.fire()) };
    } else {
      t = { kind: 'timeout', id: setTimeout(() => this.fire(), delay) };
    }
    const maybeUnref = t.id as { unref?: () => void };
    if (!this.keepAlive && maybeUnref && typeof maybeUnref.unref === 'function') maybeUnref.unref();
    this.timer = t;
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    // Run everything due; callbacks scheduled for now-or-earlier during this loop also run.
    let guard = 0;
    while (this.entries.length && this.entries[0].at <= now && guard++ < 100_000) {
      const e = this.entries.shift()!;
      e.cancelled = true;
      try {
        e.fn();
      } catch (err) {
        this.onError(err);
      }
    }
    this.arm();
  }
}
