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
