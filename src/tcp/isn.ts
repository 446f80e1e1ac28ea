// RFC 6528: initial sequence numbers. ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), where M is a timer ticking every 4 microseconds and F a keyed hash (SipHash-2-4).
import type { Endpoint } from './types.js';

const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK64;
}

function readU64le(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
  return v;
}

/** SipHash-2-4 (Aumasson and Bernstein) of `msg` under a 16-byte key; returns the 64-bit tag. */
export function siphash24(key: Uint8Array, msg: Uint8Array): bigint {
  if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
  const k0 = readU64le(key, 0);
  const k1 = readU64le(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const n = msg.length;
  const end = n - (n % 8);
  for (let i = 0; i < end; i += 8) {
    const m = readU64le(msg, i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(n & 0xff) << 56n;
  for (let i = n % 8 - 1; i >= 0; i--) last |= BigInt(msg[end + i]) << BigInt(8 * i);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK64;
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
    const f = Number(siphash24(this.key, msg) & 0xffffffffn);
    // M: a 4-microsecond timer, i.e. 250 ticks per millisecond.
    const m = Math.floor(now * 250) % 0x100000000;
    return (m + f) >>> 0;
  }
}
