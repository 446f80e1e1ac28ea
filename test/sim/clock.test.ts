import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';

test('VirtualClock: starts at the given time and moves only when told', () => {
  const c = new VirtualClock(5);
  assert.equal(c.now(), 5);
  assert.equal(c.now(), 5);
  c.advance(10);
  assert.equal(c.now(), 15);
  c.set(100);
  assert.equal(c.now(), 100);
});

test('VirtualClock: refuses to go backwards or take bad values', () => {
  const c = new VirtualClock();
  c.set(10);
  assert.throws(() => c.set(9), RangeError);
  assert.throws(() => c.advance(-1), RangeError);
  assert.throws(() => c.advance(NaN), RangeError);
  assert.throws(() => c.set(Infinity), RangeError);
  assert.equal(c.now(), 10);
});
