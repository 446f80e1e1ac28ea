// Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna) with its 128-bit state filled
// from the seed through splitmix32. Same seed => same stream, on every platform.
import type { Rng } from './types.js';

/** splitmix32 step: returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z = (z ^ (z >>> 16)) >>> 0;
  return [state, z];
}

/** FNV-1a 32-bit hash of a string (used to derive fork seeds from labels). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeededRng implements Rng {
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: any number (taken as uint32) or a string (hashed). */
  constructor(seed: number | string = 1) {
    const s = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
    this.seed = s;
    let st = s;
    let o: number;
    [st, o] = splitmix32(st);
    this.s0 = o;
    [st, o] = splitmix32(st);
    this.s1 = o;
    [st, o] = splitmix32(st);
    this.s2 = o;
    [st, o] = splitmix32(st);
    this.s3 = o;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is absorbing
  }

  /** A generator with an explicit xoshiro128** state (for reference test vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): SeededRng {
    const r = new SeededRng(0);
    r.s0 = s0 | 0;
    r.s1 = s1 | 0;
    r.s2 = s2 | 0;
    r.s3 = s3 | 0;
    return r;
  }

  /** Uniform uint32 (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) without modulo bias. n must be in 1..2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`SeededRng.int: bad n ${n}`);
    if (n === 4294967296) return this.nextU32();
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. Consumes one draw only when 0 < p < 1. */
  chance(p: number): boolean {
    if (!(p > 0)) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** An independent stream derived from this generator's seed and a label. Does not consume
   *  from this stream, so adding a fork does not perturb existing draws. */
  fork(label: string): SeededRng {
    return new SeededRng(hashString(`${this.seed}/${label}`));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
