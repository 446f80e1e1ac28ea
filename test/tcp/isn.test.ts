// RFC 6528 ISNs and the SipHash-2-4 they use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
