// RFC 6528: initial sequence numbers. ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), where M is a timer ticking every 4 microseconds and F a keyed hash (SipHash-2-4).
import type { Endpoint } from './types.js';

/** SipHash-2-4 (Aumasson and Bernstein) of `msg` under a 16-byte key; returns the 64-bit tag.
 *  Computed on 32-bit halves (no BigInt in the loop): each 64-bit word is a (hi, lo) pair. */
export function siphash24(key: Uint8Array, msg: Uint8Array): bigint {
  const [hi, lo] = siphash24Words(key, msg);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** SipHash-2-4 as [high 32 bits, low 32 bits]. */
export function siphash24Words(key: Uint8Array, msg: Uint8Array): [number, number] {
  if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
  const k0l = u32le(key, 0);
  const k0h = u32le(key, 4);
  const k1l = u32le(key, 8);
  const k1h = u32le(key, 12);
  let v0h = (k0h ^ 0x736f6d65) >>> 0;
  let v0l = (k0l ^ 0x70736575) >>> 0;
  let v1h = (k1h ^ 0x646f7261) >>> 0;
  let v1l = (k1l ^ 0x6e646f6d) >>> 0;
  let v2h = (k0h ^ 0x6c796765) >>> 0;
  let v2l = (k0l ^ 0x6e657261) >>> 0;
  let v3h = (k1h ^ 0x74656462) >>> 0;
  let v3l = (k1l ^ 0x79746573) >>> 0;
  let t = 0;
  const round = (): void => {
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    t = v0l + v1l;
    v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    v1l = (((v1l << 13) | (v1h >>> 19)) ^ v0l) >>> 0;
    v1h = (t ^ v0h) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    t = v2l + v3l;
    v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    t = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    v3l = (((v3l << 16) | (v3h >>> 16)) ^ v2l) >>> 0;
    v3h = (t ^ v2h) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    t = v0l + v3l;
    v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    v3l = (((v3l << 21) | (v3h >>> 11)) ^ v0l) >>> 0;
    v3h = (t ^ v0h) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    t = v2l + v1l;
    v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    v1l = (((v1l << 17) | (v1h >>> 15)) ^ v2l) >>> 0;
    v1h = (t ^ v2h) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  };
  const n = msg.length;
  const end = n - (n % 8);
  for (let i = 0; i < end; i += 8) {
    const ml = u32le(msg, i);
    const mh = u32le(msg, i + 4);
    v3l = (v3l ^ ml) >>> 0;
    v3h = (v3h ^ mh) >>> 0;
    round();
    round();
    v0l = (v0l ^ ml) >>> 0;
    v0h = (v0h ^ mh) >>> 0;
  }
  // Last block: the remaining bytes, length mod 256 in the top byte.
  let ml = 0;
  let mh = (n & 0xff) << 24;
  for (let i = n % 8 - 1; i >= 0; i--) {
    if (i >= 4) mh |= msg[end + i] << (8 * (i - 4));
    else ml |= msg[end + i] << (8 * i);
  }
  ml >>>= 0;
  mh >>>= 0;
  v3l = (v3l ^ ml) >>> 0;
  v3h = (v3h ^ mh) >>> 0;
  round();
  round();
  v0l = (v0l ^ ml) >>> 0;
  v0h = (v0h ^ mh) >>> 0;
  v2l = (v2l ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  return [(v0h ^ v1h ^ v2h ^ v3h) >>> 0, (v0l ^ v1l ^ v2l ^ v3l) >>> 0];
}

const encoder = new TextEncoder();

export class IsnGenerator {
  private readonly key: Uint8Array;

  /** `secret`: at least 16 random bytes chosen at boot (RFC 6528 3: "secretkey"). */
  constructor(secret: Uint8Array) {
    if (secret.length < 16) throw new RangeError('ISN secret must be at least 16 bytes');
    this.key = secret.slice(0, 16);
  }

  /** RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
  next(local: Endpoint, remote: Endpoint, now: number): number {
    const msg = encoder.encode(`${local.addr}|${local.port}|${remote.addr}|${remote.port}`);
    const f = siphash24Words(this.key, msg)[1];
    // M: a 4-microsecond timer, i.e. 250 ticks per millisecond.
    const m = Math.floor(now * 250) % 0x100000000;
    return (m + f) >>> 0;
  }
}
