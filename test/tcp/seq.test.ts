// Sequence arithmetic modulo 2^32 (RFC 9293 3.4), across the wrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { add, ge, gt, inWindow, le, lt, sub } from '../../src/tcp/seq.js';

test('seq: comparisons across the 2^32 wrap', () => {
  assert.ok(lt(0xffffffff, 0));
  assert.ok(lt(0xfffffff0, 0x10));
  assert.ok(gt(0x10, 0xfffffff0));
  assert.ok(le(5, 5) && ge(5, 5) && !lt(5, 5) && !gt(5, 5));
  assert.equal(add(0xffffffff, 1), 0);
  assert.equal(add(0xfffffff0, 0x20), 0x10);
  assert.equal(sub(0x10, 0xfffffff0), 0x20);
  assert.equal(sub(0xfffffff0, 0x10), -0x20);
});

test('seq: inWindow across the wrap, empty window holds nothing', () => {
  assert.ok(inWindow(0xffffffff, 0xfffffff0, 0x20));
  assert.ok(inWindow(0x0f, 0xfffffff0, 0x20));
  assert.ok(!inWindow(0x10, 0xfffffff0, 0x20));
  assert.ok(!inWindow(0xffffffef, 0xfffffff0, 0x20));
  assert.ok(!inWindow(5, 5, 0));
});

test('seq: properties (a + n > a for 0 < n < 2^31; sub inverts add)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0x7fffffff }), (a, n) => {
      const b = add(a, n);
      return gt(b, a) && lt(a, b) && sub(b, a) === n && inWindow(add(a, n - 1), a, n) && !inWindow(b, a, n);
    }),
  );
});
