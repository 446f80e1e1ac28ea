// RFC 6528 ISNs and the SipHash-2-4 they use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IsnGenerator, siphash24 } from '../../src/tcp/isn.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

test('SipHash-2-4: reference vectors (key 00..0f, message 00..n-1)', () => {
  // From the SipHash paper's test vectors (vectors.h), as little-endian 64-bit values.
  assert.equal(siphash24(KEY, new Uint8Array(0)), 0x726fdb47dd0e0e31n);
  assert.equal(siphash24(KEY, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
});

test('ISN: M advances 250 per millisecond (a 4 us clock); F differs per 4-tuple and key', () => {
  const g = new IsnGenerator(KEY);
  const l = { addr: '10.0.0.1', port: 80 };
  const r = { addr: '10.0.0.2', port: 40000 };
  const a = g.next(l, r, 1000);
  assert.equal((g.next(l, r, 1004) - a) >>> 0, 1000);
  assert.notEqual(g.next(l, { ...r, port: 40001 }, 1000), a);
  const g2 = new IsnGenerator(Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  assert.notEqual(g2.next(l, r, 1000), a);
  assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32);
  assert.throws(() => new IsnGenerator(new Uint8Array(8)));
});

// A plain BigInt SipHash-2-4, written from the paper, to check the 32-bit one against.
function referenceSiphash(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  const rd = (b: Uint8Array, i: number): bigint => {
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
    return v;
  };
  const k0 = rd(key, 0);
  const k1 = rd(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n) ^ v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n) ^ v2; v2 = rotl(v2, 32n);
  };
  const end = msg.length - (msg.length % 8);
  for (let i = 0; i < end; i += 8) {
    const m = rd(msg, i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  let last = BigInt(msg.length & 0xff) << 56n;
  for (let i = 0; i < msg.length % 8; i++) last |= BigInt(msg[end + i]) << BigInt(8 * i);
  v3 ^= last; round(); round(); v0 ^= last;
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

test('SipHash-2-4: the 32-bit implementation matches a BigInt reference (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 40 }), (k, m) => siphash24(k, m) === referenceSiphash(k, m)),
    { numRuns: 500, seed: 3 },
  );
});
