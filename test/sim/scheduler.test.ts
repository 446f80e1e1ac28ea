import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualScheduler } from '../../src/sim/scheduler.js';

test('VirtualScheduler: runs events in deadline order and advances the clock to each', () => {
  const s = new VirtualScheduler();
  const log: string[] = [];
  s.at(30, () => log.push(`c@${s.now()}`));
  s.at(10, () => log.push(`a@${s.now()}`));
  s.at(20, () => log.push(`b@${s.now()}`));
  assert.equal(s.pending, 3);
  assert.equal(s.nextDeadline(), 10);
  assert.equal(s.runUntilIdle(), 3);
  assert.deepEqual(log, ['a@10', 'b@20', 'c@30']);
  assert.equal(s.pending, 0);
  assert.equal(s.nextDeadline(), null);
});

test('VirtualScheduler: equal deadlines run FIFO by insertion', () => {
  const s = new VirtualScheduler();
  const log: number[] = [];
  for (let i = 0; i < 50; i++) s.at(i % 2 === 0 ? 5 : 7, () => log.push(i));
  s.runUntilIdle();
  const evens = log.slice(0, 25);
  const odds = log.slice(25);
  assert.deepEqual(evens, Array.from({ length: 25 }, (_, k) => 2 * k));
  assert.deepEqual(odds, Array.from({ length: 25 }, (_, k) => 2 * k + 1));
});

test('VirtualScheduler: cancel removes an event; cancel after fire is a no-op', () => {
  const s = new VirtualScheduler();
  const log: string[] = [];
  const h1 = s.at(10, () => log.push('x'));
  const h2 = s.at(20, () => log.push('y'));
  h1.cancel();
  h1.cancel();
  assert.equal(s.pending, 1);
  assert.equal(s.nextDeadline(), 20);
  s.runUntilIdle();
  h2.cancel();
  assert.equal(s.pending, 0);
  assert.deepEqual(log, ['y']);
});

test('VirtualScheduler: runUntil runs due events only and leaves the clock at t', () => {
  const s = new VirtualScheduler();
  const log: number[] = [];
  s.at(10, () => log.push(10));
  s.at(25, () => log.push(25));
  assert.equal(s.runUntil(20), 1);
  assert.equal(s.now(), 20);
  assert.deepEqual(log, [10]);
  assert.equal(s.runFor(5), 1);
  assert.equal(s.now(), 25);
  assert.deepEqual(log, [10, 25]);
});

test('VirtualScheduler: an event in the past runs at now, after events already due now', () => {
  const s = new VirtualScheduler();
  s.runUntil(100);
  const log: string[] = [];
  s.at(100, () => log.push('due'));
  s.at(3, () => log.push('past'));
  s.step();
  s.step();
  assert.deepEqual(log, ['due', 'past']);
  assert.equal(s.now(), 100);
});

test('VirtualScheduler: events scheduled from callbacks run in the same runUntil', () => {
  const s = new VirtualScheduler();
  const log: number[] = [];
  s.at(1, () => {
    log.push(s.now());
    s.after(2, () => log.push(s.now()));
  });
  s.runUntil(10);
  assert.deepEqual(log, [1, 3]);
});

test('VirtualScheduler: runUntilIdle stops at maxEvents on a self-rescheduling timer', () => {
  const s = new VirtualScheduler();
  const tick = () => s.after(1, tick);
  s.after(1, tick);
  assert.equal(s.runUntilIdle(100), 100);
  assert.equal(s.now(), 100);
  assert.equal(s.pending, 1);
  assert.equal(s.step(), true);
});

test('VirtualScheduler: step on an idle scheduler returns false and does not move time', () => {
  const s = new VirtualScheduler(7);
  assert.equal(s.step(), false);
  assert.equal(s.now(), 7);
});

test('VirtualScheduler: property: any schedule/cancel mix runs live events sorted by (time, insertion)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 200 }),
      (ops) => {
        const s = new VirtualScheduler();
        const ran: number[] = [];
        ops.forEach((op, i) => {
          const h = s.at(op.at, () => ran.push(i));
          if (op.cancel) h.cancel();
        });
        const expected = ops
          .map((op, i) => ({ ...op, i }))
          .filter((o) => !o.cancel)
          .sort((a, b) => a.at - b.at || a.i - b.i)
          .map((o) => o.i);
        assert.equal(s.pending, expected.length);
        s.runUntilIdle();
        assert.deepEqual(ran, expected);
      },
    ),
  );
});

test('VirtualScheduler: property: events scheduled from callbacks (many at "now") keep (time, insertion) order', () => {
  // Callbacks schedule children at now (the FIFO fast path) or later (the heap), and cancel
  // some; the run order must equal a reference model that sorts every live event by (at, seq).
  fc.assert(
    fc.property(
      fc.array(fc.record({ delay: fc.constantFrom(0, 0, 0, 1, 2, 5), children: fc.integer({ min: 0, max: 3 }), cancel: fc.boolean() }), { minLength: 1, maxLength: 150 }),
      (plan) => {
        const s = new VirtualScheduler();
        const ran: Array<[number, number]> = [];
        const model: Array<{ at: number; seq: number; id: number; live: boolean }> = [];
        let seq = 0;
        let next = 0;
        const add = (delay: number): void => {
          if (next >= plan.length) return;
          const id = next++;
          const p = plan[id];
          const rec = { at: s.now() + delay, seq: seq++, id, live: true };
          model.push(rec);
          const h = s.at(s.now() + delay, () => {
            ran.push([s.now(), id]);
            for (let k = 0; k < p.children; k++) add(plan[Math.min(next, plan.length - 1)].delay);
          });
          if (p.cancel && id % 3 === 0) {
            h.cancel();
            rec.live = false;
          }
        };
        add(plan[0].delay);
        add(0);
        add(1);
        s.runUntilIdle();
        // Every live event ran at its time; events never run before ones due earlier or
        // scheduled earlier for the same time.
        const byId = new Map(model.map((m) => [m.id, m]));
        assert.equal(ran.length, model.filter((m) => m.live).length);
        for (let i = 0; i < ran.length; i++) {
          const m = byId.get(ran[i][1])!;
          assert.ok(m.live);
          assert.equal(ran[i][0], m.at);
          if (i > 0) {
            const prev = byId.get(ran[i - 1][1])!;
            assert.ok(prev.at < m.at || (prev.at === m.at && prev.seq < m.seq), `order ${prev.id} before ${m.id}`);
          }
        }
        assert.equal(s.pending, 0);
      },
    ),
  );
});
