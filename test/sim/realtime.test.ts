import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealTimeScheduler } from '../../src/sim/realtime.js';

// These tests drive the scheduler with a fake time source and fake setTimeout so they stay
// deterministic (no sleeps), then check the one-timer-at-a-time arming logic.
function fakeTimers() {
  let now = 0;
  const timers: { id: number; at: number; fn: () => void; unref: boolean }[] = [];
  let next = 1;
  const origSet = globalThis.setTimeout;
  const origClear = globalThis.clearTimeout;
  (globalThis as any).setTimeout = (fn: () => void, ms: number) => {
    const t = { id: next++, at: now + ms, fn, unref: false };
    timers.push(t);
    return { unref() { t.unref = true; }, id: t.id };
  };
  (globalThis as any).clearTimeout = (h: { id: number }) => {
    const i = timers.findIndex((t) => t.id === h.id);
    if (i >= 0) timers.splice(i, 1);
  };
  return {
    timers,
    now: () => now,
    advance(ms: number) {
      now += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    },
    restore() {
      globalThis.setTimeout = origSet;
      globalThis.clearTimeout = origClear;
    },
  };
}

test('RealTimeScheduler: one wall-clock timer at a time, for the earliest deadline, unref()d', () => {
  const f = fakeTimers();
  try {
    const s = new RealTimeScheduler({ now: f.now });
    const log: string[] = [];
    s.at(50, () => log.push('b'));
    s.at(20, () => log.push('a'));
    const h = s.at(30, () => log.push('x'));
    assert.equal(f.timers.length, 1);
    assert.equal(f.timers[0].at, 20);
    assert.equal(f.timers[0].unref, true);
    h.cancel();
    f.advance(20);
    assert.deepEqual(log, ['a']);
    assert.equal(f.timers.length, 1);
    assert.equal(f.timers[0].at, 50);
    f.advance(30);
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(f.timers.length, 0);
    assert.equal(s.pending, 0);
  } finally {
    f.restore();
  }
});

test('RealTimeScheduler: keepAlive leaves the timer ref()d; close() clears it', () => {
  const f = fakeTimers();
  try {
    const s = new RealTimeScheduler({ now: f.now, keepAlive: true });
    let ran = false;
    s.at(10, () => (ran = true));
    assert.equal(f.timers[0].unref, false);
    s.close();
    assert.equal(f.timers.length, 0);
    f.advance(100);
    assert.equal(ran, false);
  } finally {
    f.restore();
  }
});

test('RealTimeScheduler: a throwing callback does not stop the others', () => {
  const f = fakeTimers();
  try {
    const errors: unknown[] = [];
    const s = new RealTimeScheduler({ now: f.now, onError: (e) => errors.push(e) });
    const log: number[] = [];
    s.at(5, () => {
      throw new Error('boom');
    });
    s.at(5, () => log.push(1));
    f.advance(5);
    assert.deepEqual(log, [1]);
    assert.equal(errors.length, 1);
  } finally {
    f.restore();
  }
});

test('RealTimeScheduler: really fires on the real clock (short)', async () => {
  const s = new RealTimeScheduler({ keepAlive: true });
  const t0 = s.now();
  const at = await new Promise<number>((resolve) => s.at(t0 + 5, () => resolve(s.now())));
  assert.ok(at >= t0 + 4, `fired at ${at - t0}ms`);
});
