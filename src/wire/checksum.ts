// Internet checksum (RFC 1071) with IPv4/IPv6 pseudo-headers and incremental update (RFC 1624).
// Sums are plain JS numbers (exact up to 2^53), so we add 16-bit words four bytes per iteration
// and fold once at the end: RFC 1071 2(B), the sum is independent of byte order and grouping.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One's-complement sum (unfolded) of big-endian 16-bit words of bytes[start, end), plus `initial`. */
export function sum16(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let s = initial;
  let i = start;
  // Long, even-aligned regions: sum whole 16-bit words in host order through one Uint16Array view
  // and swap the folded result (RFC 1071 2(B): byte-order independence).
  if (end - start >= 128 && ((bytes.byteOffset + start) & 1) === 0 && LITTLE_ENDIAN) {
    const words = (end - start) >> 1;
    const w = new Uint16Array(bytes.buffer, bytes.byteOffset + start, words);
    let t = 0;
    let k = 0;
    const w4 = words - (words & 3);
    for (; k < w4; k += 4) t += w[k] + w[k + 1] + w[k + 2] + w[k + 3];
    for (; k < words; k++) t += w[k];
    t = fold(t);
    s += ((t & 0xff) << 8) | (t >> 8);
    i = start + words * 2;
    if (i < end) s += bytes[i] << 8;
    return s;
  }
  const end4 = end - ((end - start) & 3);
  for (; i < end4; i += 4) {
    s += ((bytes[i] << 8) | bytes[i + 1]) + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  if (i + 1 < end) {
    s += (bytes[i] << 8) | bytes[i + 1];
    i += 2;
  }
  // RFC 1071 4.1: an odd trailing byte is padded with a zero byte on the right.
  if (i < end) s += bytes[i] << 8;
  return s;
}

/** Folds an unfolded sum to 16 bits with end-around carry. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value: one's complement of the folded sum. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** RFC 1071 checksum of bytes[start, end). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return finish(sum16(bytes, start, end, initial));
}

/** True when a region that contains its own checksum field sums to all ones (RFC 1071 1(3)). */
export function checksumValid(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): boolean {
  return fold(sum16(bytes, start, end, initial)) === 0xffff;
}

/** RFC 9293 3.1: IPv4 pseudo-header: src, dst, zero, protocol, TCP length. */
export function pseudoSumV4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return (
    ((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) +
    ((dst[0] << 8) | dst[1]) + ((dst[2] << 8) | dst[3]) +
    protocol + (length >>> 16) + (length & 0xffff)
  );
}

/** RFC 8200 8.1: IPv6 pseudo-header: src, dst, 32-bit upper-layer length, 24 zero bits, next header. */
export function pseudoSumV6(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let s = protocol + (length >>> 16) + (length & 0xffff);
  for (let i = 0; i < 16; i += 2) s += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  return s;
}

/** Pseudo-header sum for either family, chosen by the address length (4 or 16 bytes). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return src.length === 16 ? pseudoSumV6(src, dst, protocol, length) : pseudoSumV4(src, dst, protocol, length);
}

/** Checksum of a transport segment bytes[start, end) with its pseudo-header. */
export function transportChecksum(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  return finish(sum16(bytes, start, end, pseudoHeaderSum(src, dst, protocol, end - start)));
}

/**
 * RFC 1624 3 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from oldWord to newWord.
 * Never yields 0x0000 from a non-zero input sum, unlike eqn. 2 (RFC 1624 3).
 */
export function checksumAdjust(checksum: number, oldWord: number, newWord: number): number {
  return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** checksumAdjust for a 32-bit field (sequence number, IPv4 address): two 16-bit updates. */
export function checksumAdjust32(checksum: number, oldValue: number, newValue: number): number {
  const c = checksumAdjust(checksum, oldValue >>> 16, newValue >>> 16);
  return checksumAdjust(c, oldValue & 0xffff, newValue & 0xffff);
}
