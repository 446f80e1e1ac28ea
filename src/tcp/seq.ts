// Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4). Sequence numbers are plain numbers in
// [0, 2^32); comparisons look at the signed 32-bit difference, so they hold across the wrap as
// long as the two numbers are less than 2^31 apart.

/** a < b */
export function lt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a <= b */
export function le(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
/** a > b */
export function gt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** a >= b */
export function ge(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** (a + n) mod 2^32 */
export function add(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** Signed distance a - b (in (-2^31, 2^31]). */
export function sub(a: number, b: number): number {
  return (a - b) | 0;
}
/** start <= x < start + len (len may be 0: then nothing is in the window). */
export function inWindow(x: number, start: number, len: number): boolean {
  return ((x - start) >>> 0) < len;
}
/** The larger of two sequence numbers. */
export function max(a: number, b: number): number {
  return gt(a, b) ? a : b;
}
/** The smaller of two sequence numbers. */
export function min(a: number, b: number): number {
  return lt(a, b) ? a : b;
}
