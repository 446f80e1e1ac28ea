// The scenarios' SHA-256 (unrolled, incremental) against FIPS 180-4 vectors and node:crypto,
// whole and fed in odd-sized pieces (block boundaries, the 55/56-byte padding edge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256, sha256Hex } from '../../src/tools/scenarios/sha256.js';
import { payload } from '../../src/tools/scenarios/index.js';

test('sha256: FIPS 180-4 vectors (empty, "abc", the 448-bit message)', () => {
  const enc = new TextEncoder();
  assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex(enc.encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});

test('sha256: every length 0..200 and a 100 KB payload fed in pieces match node:crypto', () => {
  const data = payload(100_000, 5);
  for (let n = 0; n <= 200; n++) assert.equal(sha256Hex(data.subarray(0, n)), createHash('sha256').update(data.subarray(0, n)).digest('hex'), `length ${n}`);
  for (const piece of [1, 7, 63, 64, 65, 1448]) {
    const h = new Sha256();
    for (let i = 0; i < data.length; i += piece) h.update(data.subarray(i, i + piece));
    assert.equal(h.hex(), createHash('sha256').update(data).digest('hex'), `pieces of ${piece}`);
  }
});
