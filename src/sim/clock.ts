// A clock that moves only when told. Used by the simulator and tests.
import type { Clock } from './types.js';

export class VirtualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  /** Move forward by `ms` (negative or non-finite values are rejected). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`VirtualClock.advance: bad ms ${ms}`);
    this.t += ms;
  }
  /** Jump to time `t`; time never goes backwards. */
  set(t: number): void {
    if (!Number.isFinite(t)) throw new RangeError(`VirtualClock.set: bad time ${t}`);
    if (t < this.t) throw new RangeError(`VirtualClock.set: ${t} is before now (${this.t})`);
    this.t = t;
  }
}
