import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImpairments, resolveImpairments, NO_IMPAIRMENTS } from '../../src/link/sim-impair.js';
import { UnitError } from '../../src/link/units.js';

test('parseImpairments: key=value list with aliases resolves to numbers', () => {
  const imp = parseImpairments('delay=5ms, jitter=1ms loss=1% bw=10Mbit,queue=100,dup=2%,reorder=5%,reorder-delay=20ms,corrupt=0.1%');
  assert.deepEqual(resolveImpairments(imp), {
    delay: 5,
    jitter: 1,
    bandwidth: 10e6,
    queueLimit: 100,
    loss: 0.01,
    duplicate: 0.02,
    reorder: 0.05,
    reorderDelay: 20,
    corrupt: 0.001,
    ceMark: 0,
  });
  assert.deepEqual(parseImpairments(''), {});
});

test('parseImpairments: unknown keys, missing = and bad values are UnitErrors', () => {
  assert.throws(() => parseImpairments('speed=10'), UnitError);
  assert.throws(() => parseImpairments('loss'), /expected key=value/);
  assert.throws(() => parseImpairments('loss=2'), /loss: must be between 0 and 1/);
  assert.throws(() => parseImpairments('delay=soon'), /delay: cannot parse 'soon'/);
});

test('resolveImpairments: merges onto a base without changing it', () => {
  const r = resolveImpairments({ delay: 3 }, { ...NO_IMPAIRMENTS, loss: 0.5 });
  assert.equal(r.delay, 3);
  assert.equal(r.loss, 0.5);
  assert.equal(NO_IMPAIRMENTS.delay, 0);
});

test('parseImpairments: ce-mark=1% is the CE-marking probability for ECN-capable packets (RFC 3168 5)', () => {
  assert.equal(resolveImpairments(parseImpairments('ce-mark=1%')).ceMark, 0.01);
  assert.equal(resolveImpairments(parseImpairments('ce=0.5')).ceMark, 0.5);
});
