// Time and randomness as the rest of the code sees them. The protocol core never reads the
// wall clock or Math.random: it is handed `now` and an Rng.

/** A source of the current time in milliseconds. */
export interface Clock {
  now(): number;
}

/** Deterministic pseudo-random numbers. */
export interface Rng {
  /** Uniform uint32. */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  next(): number;
}

export interface TimerHandle {
  cancel(): void;
}

/** A clock that can also call back at a time. The simulator's is virtual (sim/scheduler.ts);
 *  a real-time one (sim/realtime.ts) follows the wall clock with setTimeout. The host stack keeps
 *  its own timer heap and asks its Scheduler for one wakeup at a time. */
export interface Scheduler extends Clock {
  /** Call fn at time `at` (ms on this clock; a past time means as soon as possible). */
  at(at: number, fn: () => void): TimerHandle;
}
